import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A login token ended by logout; kept until the token would have expired anyway. */
@Schema({ collection: 'revoked_tokens', versionKey: false })
export class RevokedToken {
  @Prop({ type: String, required: true, unique: true }) jti!: string;
  @Prop({ type: Date, required: true }) expiresAt!: Date;
}

export const RevokedTokenSchema = SchemaFactory.createForClass(RevokedToken);
RevokedTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A login token ended by logout; kept until the token would have expired anyway. The token id is
 * the `_id`: every authenticated request looks it up, and FerretDB answers only `_id` filters from
 * an index (anything else scans the collection, which any user can grow by logging in and out).
 */
@Schema({ collection: 'revoked_tokens', versionKey: false })
export class RevokedToken {
  @Prop({ type: String, required: true }) _id!: string;
  /** The same token id; kept so versions that looked revocations up by `jti` still find them. */
  @Prop({ type: String, required: true }) jti!: string;
  @Prop({ type: Date, required: true }) expiresAt!: Date;
}

export const RevokedTokenSchema = SchemaFactory.createForClass(RevokedToken);
RevokedTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

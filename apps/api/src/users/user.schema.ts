import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ROLES, type Role } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

/** An account of the web app. The password hash is never selected unless asked for. */
@Schema({ collection: 'users', versionKey: false, timestamps: true })
export class User {
  @Prop({ type: String, required: true, unique: true, lowercase: true, trim: true }) email!: string;
  @Prop({ type: String, required: true }) name!: string;
  @Prop({ type: String, required: true, enum: ROLES }) role!: Role;
  @Prop({ type: String, required: true, index: true }) companyId!: string;
  @Prop({ type: String, required: true, select: false }) passwordHash!: string;
  @Prop({ type: Boolean, required: true, default: true }) enabled!: boolean;
  // Set by a password change (ms since the epoch): tokens issued before are refused, except the one that
  // made the change (the user's own session goes on; every other session ends).
  @Prop({ type: Number }) tokensIssuedBefore?: number;
  @Prop({ type: String }) keptTokenId?: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);
UserSchema.index({ role: 1, enabled: 1 });

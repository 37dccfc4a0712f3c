import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

/**
 * A gateway's own broker account. The broker keeps the password (hashed by its plugin); this
 * keeps when it was issued, rotated or revoked, and a fingerprint of the current secret.
 */
@Schema({ collection: 'gateway_credentials', versionKey: false, timestamps: true })
export class GatewayCredential {
  @Prop({ required: true, unique: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ required: true }) username!: string;
  // SHA-256 of the secret (a random 192-bit value, so a fast hash is enough): lets an operator
  // check which secret a gateway holds without the server ever storing it.
  @Prop({ type: String, default: null }) secretSha256!: string | null;
  @Prop({ required: true }) issuedAt!: Date;
  @Prop({ type: Date, default: null }) rotatedAt!: Date | null;
  @Prop({ type: Date, default: null }) revokedAt!: Date | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export type GatewayCredentialDocument = HydratedDocument<GatewayCredential>;
export const GatewayCredentialSchema = SchemaFactory.createForClass(GatewayCredential);
GatewayCredentialSchema.index({ companyId: 1, gatewayId: 1 });

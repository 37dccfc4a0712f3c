import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { GATEWAY_ADMISSIONS, UPGRADE_STATUSES, type GatewayAdmission, type UpgradeStatus } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

/** The latest deployment to a gateway, copied from its deployment target so lists need no join. */
@Schema({ _id: false, versionKey: false })
export class GatewayUpgrade {
  @Prop({ required: true }) version!: string;
  @Prop({ type: String, required: true, enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @Prop({ required: true }) deploymentId!: string;
  // When the deployment's targets were created: a pending copy written after the Upgrade went out
  // replaces only an older deployment's copy (see GatewaysStore.setPendingUpgrades). Absent on earlier copies.
  @Prop({ type: Date }) startedAt?: Date;
}
const GatewayUpgradeSchema = SchemaFactory.createForClass(GatewayUpgrade);

/** A gateway, created by its first Status (SPEC §1) and kept up to date by every message. */
@Schema({ collection: 'gateways', versionKey: false, timestamps: true })
export class Gateway {
  // The gatewayId again: FerretDB (SQLite) looks documents up by _id directly but scans the
  // collection for any other field, so every write by gateway goes through _id.
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, unique: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ type: String, default: null }) name!: string | null;
  @Prop({ type: String, default: null }) version!: string | null;
  @Prop({ type: Date, default: null }) lastUpgradeAt!: Date | null;
  @Prop({ type: Date, default: null }) lastSeenAt!: Date | null;
  // When the stored Status was sent (its frame's timestamp): an older one arriving later is not stored.
  @Prop({ type: Date, default: null }) statusSentAt!: Date | null;
  @Prop({ type: String, default: null }) address!: string | null;
  @Prop({ type: Number, default: null }) latitude!: number | null;
  @Prop({ type: Number, default: null }) longitude!: number | null;
  @Prop({ default: true }) enabled!: boolean;
  @Prop({ type: [String], default: [] }) tags!: string[];
  @Prop({ type: GatewayUpgradeSchema, default: null }) upgrade!: GatewayUpgrade | null;
  // From its latest Status: 2 for a gateway that speaks protocol v2 (docs/protocol-v2.md), else null.
  @Prop({ type: Number, default: null }) protocol!: number | null;
  // Absent on gateways registered before the approval policy existed: accepted.
  @Prop({ type: String, enum: GATEWAY_ADMISSIONS }) admission?: GatewayAdmission;
  createdAt?: Date;
  updatedAt?: Date;
}

export type GatewayDocument = HydratedDocument<Gateway>;
export const GatewaySchema = SchemaFactory.createForClass(Gateway);
// Tenant-scoped lists filter by company first, then sort by one of the sortable columns.
GatewaySchema.index({ companyId: 1, gatewayId: 1 });
GatewaySchema.index({ companyId: 1, lastSeenAt: -1 });
GatewaySchema.index({ companyId: 1, version: 1 });
GatewaySchema.index({ lastSeenAt: -1 });
GatewaySchema.index({ version: 1 });
GatewaySchema.index({ 'upgrade.status': 1, companyId: 1 });
// The rollout controller finds the gateways of its deployments by this.
GatewaySchema.index({ 'upgrade.deploymentId': 1 });
GatewaySchema.index({ companyId: 1, tags: 1 });

import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { UPGRADE_STATUSES, type UpgradeStatus } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

export const FAILURE_REASONS = ['reported-version', 'timeout', 'superseded', 'publish-failed', 'install-failed', 'rejected'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * A target of a deployment of an earlier version (no target lists): its document as created, which
 * stays pending, and its decision beside it (see target-decision-documents.ts). Listed targets
 * (DeploymentTargetList) are decided by their outcome event alone; until 2026-12-03 they also got a
 * decision document here, still counted for the deployments settled before then (the deployments
 * page) and read in a gateway's history, not read for a deployment's targets (see DeploymentTargetsStore).
 */
@Schema({ collection: 'deployment_targets', versionKey: false, timestamps: true })
export class DeploymentTarget {
  @Prop({ required: true }) deploymentId!: string;
  @Prop({ required: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ required: true }) version!: string;
  @Prop({ type: String, required: true, enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @Prop({ type: String, enum: [...FAILURE_REASONS, null], default: null }) reason!: FailureReason | null;
  @Prop({ type: String, default: null }) reportedVersion!: string | null;
  @Prop({ required: true }) deadline!: Date;
  /** 2: delivered with protocol v2 (an Offer); absent for protocol v1. */
  @Prop({ type: Number }) protocol?: 2;
  /**
   * true: this document is the decision of the target of the same deployment and gateway (see
   * target-decision-documents.ts); absent on the targets as created of earlier versions.
   */
  @Prop({ type: Boolean }) decision?: true;
  createdAt?: Date;
  updatedAt?: Date;
}

export type DeploymentTargetDocument = HydratedDocument<DeploymentTarget>;
export const DeploymentTargetSchema = SchemaFactory.createForClass(DeploymentTarget);
DeploymentTargetSchema.index({ deploymentId: 1, companyId: 1, gatewayId: 1 });
// The deployment tracker loads the pending targets, oldest first, when the API starts.
DeploymentTargetSchema.index({ status: 1, createdAt: 1 });
DeploymentTargetSchema.index({ gatewayId: 1, createdAt: -1 });

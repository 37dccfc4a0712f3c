import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { UPGRADE_STATUSES, type UpgradeStatus } from '@upgrade-manager/dto';
import { SchemaTypes, type HydratedDocument, type Types } from 'mongoose';

export const FAILURE_REASONS = ['reported-version', 'timeout', 'superseded', 'publish-failed'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The state of one gateway in one deployment: pending until its Status confirms or fails it. */
@Schema({ collection: 'deployment_targets', versionKey: false, timestamps: true })
export class DeploymentTarget {
  // `<deploymentId>:<gatewayId>` (targetIdOf); targets written before it have ObjectIds, kept as they are.
  @Prop({ type: SchemaTypes.Mixed, required: true }) _id!: string | Types.ObjectId;
  @Prop({ required: true }) deploymentId!: string;
  @Prop({ required: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ required: true }) version!: string;
  @Prop({ type: String, required: true, enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @Prop({ type: String, enum: [...FAILURE_REASONS, null], default: null }) reason!: FailureReason | null;
  @Prop({ type: String, default: null }) reportedVersion!: string | null;
  @Prop({ required: true }) deadline!: Date;
  // False until the broker has taken its Upgrade; `publisher` is the process (LeaseService.holder)
  // that publishes it, so that another process re-sends what a dead one left unpublished.
  @Prop({ default: true }) published!: boolean;
  @Prop({ type: String, default: null }) publisher!: string | null;
  // False between the decision (pending → confirmed/failed) and the end of its effects (gateway
  // copy, event, live event): the time-out sweep finishes what a process that died left halfway.
  @Prop({ default: true }) recorded!: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

export type DeploymentTargetDocument = HydratedDocument<DeploymentTarget>;
export const DeploymentTargetSchema = SchemaFactory.createForClass(DeploymentTarget);
DeploymentTargetSchema.index({ deploymentId: 1, companyId: 1, gatewayId: 1 });
// Every API process loads the pending targets, oldest first, when it starts; the time-out sweep
// reads the overdue and the unrecorded ones.
DeploymentTargetSchema.index({ status: 1, createdAt: 1 });
DeploymentTargetSchema.index({ recorded: 1, updatedAt: 1 });
DeploymentTargetSchema.index({ gatewayId: 1, createdAt: -1 });

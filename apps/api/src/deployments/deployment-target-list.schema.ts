import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

/**
 * The targets of one deployment as created, TARGETS_PER_LIST to a document under
 * `<deploymentId>:<n>` (see target-lists.ts): one insert per deployment instead of one per target,
 * read by `_id`. A target's decision is its outcome event in `events` (see DeploymentTargetsStore).
 */
@Schema({ collection: 'deployment_target_lists', versionKey: false })
export class DeploymentTargetList {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) deploymentId!: string;
  @Prop({ required: true }) version!: string;
  @Prop({ required: true }) deadline!: Date;
  // When the targets were created (a Status counts for a target only when received after it).
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ type: [String], required: true }) gatewayIds!: string[];
  // The companies of this list, each once; `companies` holds each target's index into it.
  @Prop({ type: [String], required: true }) companyIds!: string[];
  @Prop({ type: [Number], required: true }) companies!: number[];
  // The targets delivered with protocol v2 (an Offer).
  @Prop({ type: [String], default: [] }) v2GatewayIds!: string[];
}

export type DeploymentTargetListDocument = HydratedDocument<DeploymentTargetList>;
export const DeploymentTargetListSchema = SchemaFactory.createForClass(DeploymentTargetList);

import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { DEPLOYMENT_SCOPES, type DeploymentScope } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';
import { EventActor } from '../events/event.schema';

/** One "deploy this version to these gateways" action; its targets are listed in DeploymentTargetList, each decision is an outcome event (see DeploymentTargetsStore). */
@Schema({ collection: 'deployments', versionKey: false, timestamps: { createdAt: true, updatedAt: false } })
export class Deployment {
  @Prop({ required: true }) version!: string;
  @Prop({ type: String, required: true, enum: DEPLOYMENT_SCOPES }) scope!: DeploymentScope;
  // Companies of the targets, so that tenant-scoped lists filter in the query.
  @Prop({ type: [String], required: true }) companyIds!: string[];
  @Prop({ required: true }) targetCount!: number;
  // Targets per company, in the order of companyIds. Set when the targets are listed in
  // deployment_target_lists (see DeploymentTargetsStore); absent on deployments of earlier versions.
  @Prop({ type: [Number], default: undefined }) companyTargetCounts?: number[];
  @Prop({ type: EventActor, default: null }) createdBy!: EventActor | null;
  // False until every Upgrade (or v2 Offer) was handed to the broker or failed its target; with the
  // API process doing it (ApiInstances.processId), so that a dead one's work is taken over.
  @Prop({ type: Boolean, default: true }) published!: boolean;
  @Prop({ type: String, default: null }) publisher!: string | null;
  // True once every target is decided (set by the time-out sweep): the tracker loads the targets of the others at start.
  @Prop({ type: Boolean, default: false }) settled!: boolean;
  // Confirmed targets per company, in the order of companyIds, written with `settled` on a deployment
  // that lists its targets (the others failed): its decisions are events, counted once. Absent on
  // deployments settled before 2026-12-03, whose decision documents are counted.
  @Prop({ type: [Number], default: undefined }) companyConfirmedCounts?: number[];
  // The one-phase rollout of a plain deployment (POST /api/deployments), whose counts the deployments
  // page shows while a large deployment is open. Absent on rollouts' deployments and on earlier ones.
  @Prop({ type: String, default: undefined }) rolloutId?: string;
  createdAt?: Date;
}

export type DeploymentDocument = HydratedDocument<Deployment>;
export const DeploymentSchema = SchemaFactory.createForClass(Deployment);
DeploymentSchema.index({ companyIds: 1, createdAt: -1 });
DeploymentSchema.index({ createdAt: -1 });
DeploymentSchema.index({ settled: 1, createdAt: 1 });

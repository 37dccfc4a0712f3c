import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ROLLOUT_STATES, type GatewayFilterDto, type Role, type RolloutState, type Weekday } from '@upgrade-manager/dto';
import { SchemaTypes, type HydratedDocument } from 'mongoose';

/** How many targets of a phase are in each state, kept by the writes that move them (see RolloutTargetsStore.transition). */
@Schema({ _id: false, versionKey: false })
export class RolloutPhaseCounts {
  @Prop({ default: 0 }) waiting!: number;
  @Prop({ default: 0 }) starting!: number;
  @Prop({ default: 0 }) pending!: number;
  @Prop({ default: 0 }) confirmed!: number;
  @Prop({ default: 0 }) failed!: number;
  @Prop({ default: 0 }) skipped!: number;
}
const RolloutPhaseCountsSchema = SchemaFactory.createForClass(RolloutPhaseCounts);

/** One phase; `end` is the cumulative number of snapshot targets once this phase is included. */
@Schema({ _id: false, versionKey: false })
export class RolloutPhase {
  @Prop({ type: Number, default: null }) percent!: number | null;
  @Prop({ type: Number, default: null }) count!: number | null;
  @Prop({ required: true }) end!: number;
  @Prop({ type: Date, default: null }) startedAt!: Date | null;
  @Prop({ type: Date, default: null }) finishedAt!: Date | null;
  // Absent in rollouts made before counts were kept: the controller counts those once.
  @Prop({ type: RolloutPhaseCountsSchema }) counts?: RolloutPhaseCounts;
}
const RolloutPhaseSchema = SchemaFactory.createForClass(RolloutPhase);

/** Who created the rollout; its deployments are made in this person's name and rights. */
@Schema({ _id: false, versionKey: false })
export class RolloutCreator {
  @Prop({ required: true }) userId!: string;
  @Prop({ required: true }) email!: string;
  @Prop({ type: String, required: true }) role!: Role;
  @Prop({ required: true }) companyId!: string;
}
const RolloutCreatorSchema = SchemaFactory.createForClass(RolloutCreator);

export interface RolloutAbort {
  failureRate: number;
  minFinished: number;
}

export interface RolloutWindow {
  days: Weekday[];
  from: string;
  to: string;
  timeZone: string;
}

/** Targets started at one moment, for the pace (kept for the last minute only). */
export interface RolloutStart {
  at: Date;
  count: number;
}

export interface RolloutRetries {
  max: number;
  backoffSeconds: number;
}

/**
 * A staged deployment (SPEC §5). Every change of `state` and `currentPhase` is a conditional
 * update on the values read, so two controllers (or a controller and a user) never both act.
 */
@Schema({ collection: 'rollouts', versionKey: false, timestamps: true })
export class Rollout {
  @Prop({ required: true }) version!: string;
  // null: every company (super users only).
  @Prop({ type: String, default: null }) companyId!: string | null;
  @Prop({ type: SchemaTypes.Mixed, required: true }) filter!: GatewayFilterDto;
  @Prop({ type: [RolloutPhaseSchema], required: true }) phases!: RolloutPhase[];
  @Prop({ required: true }) successThreshold!: number;
  @Prop({ required: true }) autoAdvance!: boolean;
  @Prop({ type: SchemaTypes.Mixed, default: null }) abort!: RolloutAbort | null;
  @Prop({ type: Number, default: null }) maxPerMinute!: number | null;
  @Prop({ default: 0 }) jitterSeconds!: number;
  @Prop({ type: SchemaTypes.Mixed, default: null }) window!: RolloutWindow | null;
  @Prop({ type: SchemaTypes.Mixed, default: null }) retries!: RolloutRetries | null;
  @Prop({ default: false }) continuous!: boolean;
  // The plain deployment this one-phase rollout follows (POST /api/deployments); null: a staged rollout.
  @Prop({ type: String, default: null }) deploymentId!: string | null;
  // true: its targets are the deployment's, none in rollout_targets (see DeploymentRolloutTargets);
  // absent on staged rollouts and on plain deployments' rollouts of earlier versions.
  @Prop({ type: Boolean }) targetsOfDeployment?: true;
  @Prop({ type: String, required: true, enum: ROLLOUT_STATES }) state!: RolloutState;
  @Prop({ type: String, default: null }) stateReason!: string | null;
  @Prop({ default: 0 }) currentPhase!: number;
  @Prop({ required: true }) targetCount!: number;
  @Prop({ type: RolloutCreatorSchema, required: true }) createdBy!: RolloutCreator;
  @Prop({ type: Date, default: null }) startedAt!: Date | null;
  @Prop({ type: Date, default: null }) finishedAt!: Date | null;
  // false while a stopped rollout still has targets whose outcome it has to collect.
  @Prop({ default: false }) settled!: boolean;
  @Prop({ type: Date, default: null }) joinScannedAt!: Date | null;
  // Positions of the start order (rollout_slots) handed to a deployment, or passed for good, so far.
  @Prop({ default: 0 }) nextPosition!: number;
  // Bumped by every start: the compare-and-set that lets one controller start targets at a time.
  @Prop({ default: 0 }) startSeq!: number;
  @Prop({ type: [SchemaTypes.Mixed], default: [] }) recentStarts!: RolloutStart[];
  // The deployment whose targets a controller is moving to pending: no other start until it is done (or stale).
  @Prop({ type: String, default: null }) startingId!: string | null;
  @Prop({ type: Date, default: null }) startingAt!: Date | null;
  // Bumped before and after every change of the counts: a recount applies only if nothing moved meanwhile.
  @Prop({ default: 0 }) countsVersion!: number;
  createdAt?: Date;
  updatedAt?: Date;
}

export type RolloutDocument = HydratedDocument<Rollout>;
export const RolloutSchema = SchemaFactory.createForClass(Rollout);
RolloutSchema.index({ companyId: 1, createdAt: -1 });
RolloutSchema.index({ settled: 1 });

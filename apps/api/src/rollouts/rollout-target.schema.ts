import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ROLLOUT_TARGET_STATES, type RolloutTargetState } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

/** `<rolloutId>:<gatewayId>`: a gateway is in a rollout once, and lookups go by _id. */
export function rolloutTargetId(rolloutId: string, gatewayId: string): string {
  return `${rolloutId}:${gatewayId}`;
}

/**
 * One gateway of a rollout. `waiting` → `starting` is a conditional claim (state and a claim token), so
 * a target is started by one controller once per attempt; `starting` → `pending` records the
 * deployment that carries it, whose outcome then decides it.
 */
@Schema({ collection: 'rollout_targets', versionKey: false, timestamps: true })
export class RolloutTarget {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) rolloutId!: string;
  @Prop({ required: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ required: true }) phase!: number;
  // Position in the rollout's random order: targets start in this order within their phase.
  @Prop({ required: true }) order!: number;
  // Delay after the phase starts (jitter).
  @Prop({ default: 0 }) delayMs!: number;
  @Prop({ type: String, required: true, enum: ROLLOUT_TARGET_STATES }) state!: RolloutTargetState;
  @Prop({ default: 0 }) attempts!: number;
  @Prop({ type: String, default: null }) claim!: string | null;
  @Prop({ type: String, default: null }) deploymentId!: string | null;
  @Prop({ type: Date, default: null }) startedAt!: Date | null;
  @Prop({ type: Date, default: null }) retryAt!: Date | null;
  @Prop({ type: Date, default: null }) decidedAt!: Date | null;
  @Prop({ type: String, default: null }) reason!: string | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export type RolloutTargetDocument = HydratedDocument<RolloutTarget>;
export const RolloutTargetSchema = SchemaFactory.createForClass(RolloutTarget);
RolloutTargetSchema.index({ rolloutId: 1, state: 1, phase: 1 });
RolloutTargetSchema.index({ rolloutId: 1, startedAt: -1 });

/**
 * The claim of one attempt of one target (`<targetId>#<attempt>`): the unique _id makes the
 * insert the compare-and-set, which FerretDB's multi-document updates are not.
 */
@Schema({ collection: 'rollout_claims', versionKey: false, timestamps: { createdAt: true, updatedAt: false } })
export class RolloutClaim {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) rolloutId!: string;
  @Prop({ required: true }) claim!: string;
}

export const RolloutClaimSchema = SchemaFactory.createForClass(RolloutClaim);
RolloutClaimSchema.index({ rolloutId: 1 });

import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ROLLOUT_TARGET_STATES, type RolloutTargetState } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

/** `<rolloutId>:<gatewayId>`: a gateway is in a rollout once, and lookups go by _id. */
export function rolloutTargetId(rolloutId: string, gatewayId: string): string {
  return `${rolloutId}:${gatewayId}`;
}

/**
 * One gateway of a rollout. `waiting` → `pending` is conditional (state and attempts) and names the
 * deployment that carries the attempt, so a target is started by one controller once per attempt;
 * the deployment's outcome then decides it. `starting` is only found in rollouts of earlier versions.
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

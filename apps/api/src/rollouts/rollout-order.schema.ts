import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** Gateways per slots document. */
export const SLOTS_PER_CHUNK = 1000;

/** `<rolloutId>#<chunk>`: the start order is read by _id, never by a scan of the targets. */
export function rolloutSlotsId(rolloutId: string, chunk: number): string {
  return `${rolloutId}#${chunk}`;
}

/**
 * A chunk of a rollout's start order: the gateway at position `chunk * SLOTS_PER_CHUNK + i` and the
 * delay after its phase's start (jitter, ascending within a phase so that the order is also the
 * order in time). The controller walks it with the rollout's `nextPosition`.
 */
@Schema({ collection: 'rollout_slots', versionKey: false })
export class RolloutSlots {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) rolloutId!: string;
  @Prop({ type: [String], required: true }) gatewayIds!: string[];
  @Prop({ type: [Number], required: true }) delaysMs!: number[];
}
export const RolloutSlotsSchema = SchemaFactory.createForClass(RolloutSlots);
RolloutSlotsSchema.index({ rolloutId: 1 });

/**
 * The targets one deployment of a rollout carries, under the deployment's id: whoever decides a
 * deployment target finds its rollout target (`<rolloutId>:<gatewayId>`), phase and attempt here.
 */
@Schema({ collection: 'rollout_batches', versionKey: false, timestamps: { createdAt: true, updatedAt: false } })
export class RolloutBatch {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) rolloutId!: string;
  @Prop({ type: [String], required: true }) gatewayIds!: string[];
  @Prop({ type: [Number], required: true }) phases!: number[];
  @Prop({ type: [Number], required: true }) attempts!: number[];
}
export const RolloutBatchSchema = SchemaFactory.createForClass(RolloutBatch);
RolloutBatchSchema.index({ rolloutId: 1 });

/** `<rolloutId>@<startSeq>`: the turn to move a rollout's targets from one read of it. */
export function rolloutTurnId(rolloutId: string, startSeq: number): string {
  return `${rolloutId}@${startSeq}`;
}

/**
 * Who took a rollout's turn (a start or a recount) at a given `startSeq`. Its insert decides among
 * controllers that read the same rollout: a unique _id holds on every database, while a
 * conditional update does not on FerretDB, which reads the document and then writes it.
 */
@Schema({ collection: 'rollout_turns', versionKey: false })
export class RolloutTurn {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) rolloutId!: string;
  @Prop({ type: Date, required: true }) takenAt!: Date;
}
export const RolloutTurnSchema = SchemaFactory.createForClass(RolloutTurn);
RolloutTurnSchema.index({ rolloutId: 1 });

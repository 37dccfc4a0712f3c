import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { EVENT_TYPES, type EventType } from '@upgrade-manager/dto';
import type { HydratedDocument } from 'mongoose';

@Schema({ _id: false })
export class EventActor {
  @Prop({ required: true }) userId!: string;
  @Prop({ required: true }) email!: string;
}

/** One entry of the event log: who did what, when, to which gateway. */
@Schema({ collection: 'events', versionKey: false })
export class Event {
  @Prop({ type: String, required: true, enum: EVENT_TYPES, index: true }) type!: EventType;
  @Prop({ type: Date, required: true, default: () => new Date() }) at!: Date;
  // null for what the system or a gateway did on its own (a Status confirming an upgrade).
  @Prop({ type: EventActor, default: null }) actor!: EventActor | null;
  @Prop({ type: String, required: true, index: true }) companyId!: string;
  @Prop({ type: String, default: null, index: true }) gatewayId!: string | null;
  @Prop({ type: Object, default: () => ({}) }) details!: Record<string, unknown>;
}

export type EventDocument = HydratedDocument<Event>;
export const EventSchema = SchemaFactory.createForClass(Event);
EventSchema.index({ companyId: 1, at: -1 });
EventSchema.index({ 'actor.userId': 1, at: -1 });

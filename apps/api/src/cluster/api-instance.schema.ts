import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One running API process, as long as it keeps its heartbeat fresh. */
@Schema({ collection: 'api_instances', versionKey: false })
export class ApiInstance {
  // The process: `<instanceId>#<token of this run>`.
  @Prop({ type: String, required: true }) _id!: string;
  // Its place (API_INSTANCE_ID): a restarted process has a new _id and the same instanceId.
  @Prop({ type: String, required: true }) instanceId!: string;
  @Prop({ type: Date, required: true }) heartbeatAt!: Date;
}

export const ApiInstanceSchema = SchemaFactory.createForClass(ApiInstance);

import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One lease: which API process runs a job that must run once (a timer, a controller), until when. */
@Schema({ collection: 'leases', versionKey: false })
export class Lease {
  // The lease's name: every take and renewal addresses the document by _id.
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) holder!: string;
  @Prop({ type: Date, required: true }) expiresAt!: Date;
}

export const LeaseSchema = SchemaFactory.createForClass(Lease);

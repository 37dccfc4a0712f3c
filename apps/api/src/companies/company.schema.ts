import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

/** A tenant. `companyId` is the string id gateways report in their Status. */
@Schema({ collection: 'companies', versionKey: false, timestamps: true })
export class Company {
  @Prop({ type: String, required: true, unique: true }) companyId!: string;
  @Prop({ type: String, required: true }) name!: string;
  // Users of a disabled company cannot log in; its gateways stay managed by super users.
  @Prop({ type: Boolean, default: true }) enabled!: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

export type CompanyDocument = HydratedDocument<Company>;
export const CompanySchema = SchemaFactory.createForClass(Company);

export function defaultCompanyName(companyId: string): string {
  return `Company ${companyId}`;
}

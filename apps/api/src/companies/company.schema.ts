import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

/** A tenant. `companyId` is the string id gateways report in their Status. */
@Schema({ collection: 'companies', versionKey: false, timestamps: true })
export class Company {
  @Prop({ required: true, unique: true }) companyId!: string;
  @Prop({ required: true }) name!: string;
}

export type CompanyDocument = HydratedDocument<Company>;
export const CompanySchema = SchemaFactory.createForClass(Company);

export function defaultCompanyName(companyId: string): string {
  return `Company ${companyId}`;
}

import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Company, CompanySchema } from '../companies/company.schema';
import { Gateway, GatewaySchema } from '../gateways/gateway.schema';
import { FrameClockWatch } from './frame-clock-watch';
import { GatewayAdmission } from './gateway-admission.service';
import { GatewayRequestGate } from './gateway-request-gate';
import { EventsModule } from '../events/events.module';

/** Which gateways may register, in which company, and which are served (SPEC §6 "Hostile input"). */
@Module({
  imports: [
    EventsModule,
    MongooseModule.forFeature([
      { name: Gateway.name, schema: GatewaySchema },
      { name: Company.name, schema: CompanySchema },
    ]),
  ],
  providers: [GatewayAdmission, GatewayRequestGate, FrameClockWatch],
  exports: [GatewayAdmission, GatewayRequestGate, FrameClockWatch],
})
export class GatewayAdmissionModule {}

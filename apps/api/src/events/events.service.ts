import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { EventType } from '@upgrade-manager/dto';
import type { Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { Event } from './event.schema';

export interface RecordEventInput {
  type: EventType;
  companyId: string;
  actor?: Pick<Principal, 'userId' | 'email'> | null;
  gatewayId?: string | null;
  details?: Record<string, unknown>;
}

/** Writes the event log. Recording never fails the action it describes: errors are logged. */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  constructor(@InjectModel(Event.name) private readonly events: Model<Event>) {}

  async record(input: RecordEventInput): Promise<void> {
    await this.recordMany([input]);
  }

  async recordMany(inputs: RecordEventInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const now = new Date();
    const documents = inputs.map((input) => ({
      type: input.type,
      at: now,
      companyId: input.companyId,
      actor: input.actor ? { userId: input.actor.userId, email: input.actor.email } : null,
      gatewayId: input.gatewayId ?? null,
      details: input.details ?? {},
    }));
    try {
      await this.events.insertMany(documents, { ordered: false });
    } catch (error) {
      this.logger.error(`Could not record ${inputs.length} event(s) (${inputs[0].type}): ${(error as Error).message}`);
    }
  }
}

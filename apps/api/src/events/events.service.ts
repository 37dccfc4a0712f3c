import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type EventDto, type EventListDto, type EventType, type ListEventsQueryDto } from '@upgrade-manager/dto';
import type { Model, Types } from 'mongoose';
import type { Principal } from '../auth/principal';
import { Event } from './event.schema';
import { eventsFilter } from './events.filter';

const DEFAULT_PAGE_SIZE = 50;

export interface RecordEventInput {
  type: EventType;
  companyId: string;
  actor?: Pick<Principal, 'userId' | 'email'> | null;
  gatewayId?: string | null;
  details?: Record<string, unknown>;
  /** When it happened, if not now (the log is ordered by it, not by when it was written). */
  at?: Date;
  /** A fixed id makes recording idempotent: an event recorded again (by a retry, by another API process) is kept once. */
  id?: Types.ObjectId;
}

const DUPLICATE_KEY = 11000;

function isDuplicateKeyError(error: unknown): boolean {
  const { code, writeErrors } = error as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
  const errors = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return code === DUPLICATE_KEY || (errors.length > 0 && errors.every((writeError) => writeError.code === DUPLICATE_KEY));
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
      ...(input.id ? { _id: input.id } : {}),
      type: input.type,
      at: input.at ?? now,
      companyId: input.companyId,
      actor: input.actor ? { userId: input.actor.userId, email: input.actor.email } : null,
      gatewayId: input.gatewayId ?? null,
      details: input.details ?? {},
    }));
    try {
      await this.insert(documents);
    } catch (error) {
      this.logger.error(`Could not record ${inputs.length} event(s) (${inputs[0].type}): ${(error as Error).message}`);
    }
  }

  private async insert(documents: object[]): Promise<void> {
    try {
      await this.events.insertMany(documents, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // An event with a fixed id recorded before (a retry, another API process). FerretDB stops an
      // insert at its first duplicate, ordered or not: the rest go one by one (rare: retries only).
      for (const document of documents) {
        await this.events.insertMany([document]).catch((one: unknown) => {
          if (!isDuplicateKeyError(one)) throw one;
        });
      }
    }
  }

  /** The event log, newest first, filtered and scoped to what the principal may see. */
  async list(principal: Principal, query: ListEventsQueryDto): Promise<EventListDto> {
    const filter = eventsFilter(principal, query);
    const [events, total] = await Promise.all([
      this.events
        .find(filter)
        .sort({ at: -1, _id: -1 })
        .skip(query.offset ?? 0)
        .limit(query.limit ?? DEFAULT_PAGE_SIZE)
        .lean<(Event & { _id: Types.ObjectId })[]>(),
      this.events.countDocuments(filter),
    ]);
    return { items: events.map(toEventDto), total };
  }
}

function toEventDto(event: Event & { _id: Types.ObjectId }): EventDto {
  return {
    id: event._id.toString(),
    type: event.type,
    at: event.at.toISOString(),
    actor: event.actor ? { userId: event.actor.userId, email: event.actor.email } : null,
    companyId: event.companyId,
    gatewayId: event.gatewayId ?? null,
    details: event.details ?? {},
  };
}

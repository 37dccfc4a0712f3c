import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type EventDto, type EventListDto, type EventType, type ListEventsQueryDto } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { Event } from './event.schema';
import { eventsFilter } from './events.filter';
import { DUPLICATE_KEY } from '../database/duplicate-key';
import { insertOnce } from '../database/insert-once';
import { insertCommand } from '../database/write-commands';

const DEFAULT_PAGE_SIZE = 50;

/** The types of outcome events: a deployment target's decision (deployments/target-decision.ts). */
export const OUTCOME_EVENT_TYPES = ['upgrade.confirmed', 'upgrade.failed'] as const satisfies readonly EventType[];

/** What of an event says what it recorded and when (an outcome event: a deployment target's decision). */
export type OutcomeEventFields = Pick<Event, 'type' | 'details' | 'at'>;
// Read of an outcome event: its type, what the decision says beyond it, and its time.
const OUTCOME_FIELDS = { type: 1, at: 1, 'details.reason': 1, 'details.reportedVersion': 1 } as const;

export interface RecordEventInput {
  type: EventType;
  companyId: string;
  actor?: Pick<Principal, 'userId' | 'email'> | null;
  gatewayId?: string | null;
  details?: Record<string, unknown>;
  /** When it happened, if not now (the log is ordered by it, not by when it was written). */
  at?: Date;
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
    // Their `_id`s given here: a command that failed as a whole (a lost connection, a failover) is
    // sent once more, and what its first try wrote comes back as duplicates, not twice.
    const documents = inputs.map((input) => ({ _id: new Types.ObjectId(), ...toDocument(input, now) }));
    try {
      // The database's insert command: documents are complete as built (see write-commands.ts).
      const { writeErrors } = await insertCommand(this.events, documents).catch(() => insertCommand(this.events, documents));
      const refused = writeErrors.filter(({ code }) => code !== DUPLICATE_KEY);
      if (refused.length > 0) throw new Error(`${refused.length} refused, the first: ${refused[0].errmsg ?? refused[0].code}`);
    } catch (error) {
      this.logger.error(`Could not record ${inputs.length} event(s) (${inputs[0].type}): ${(error as Error).message}`);
    }
  }

  /**
   * Events that may be recorded only once, each under an `_id` of its own (e.g. derived from what
   * it decides): the unique `_id` makes the first insert win whichever API process tries. Returns
   * the indexes of those already recorded; throws when the database does (nothing is known then).
   */
  async recordOnce(inputs: readonly (RecordEventInput & { id: Types.ObjectId })[]): Promise<Set<number>> {
    if (inputs.length === 0) return new Set();
    const now = new Date();
    const documents = inputs.map((input) => ({ _id: input.id, ...toDocument(input, now) }));
    return insertOnce(this.events, documents);
  }

  /** Events by `_id` (those `recordOnce` found recorded). */
  async findByIds(ids: readonly Types.ObjectId[]): Promise<(Event & { _id: Types.ObjectId })[]> {
    if (ids.length === 0) return [];
    return this.events.find({ _id: { $in: ids } }).lean<(Event & { _id: Types.ObjectId })[]>();
  }

  /** Outcome events by `_id` (hex strings), with what says what was decided and when. */
  async findOutcomes(ids: readonly string[]): Promise<(OutcomeEventFields & { _id: Types.ObjectId })[]> {
    if (ids.length === 0) return [];
    return this.events
      .find({ _id: { $in: ids } }, OUTCOME_FIELDS)
      .lean<(OutcomeEventFields & { _id: Types.ObjectId })[]>()
      .exec();
  }

  /** A gateway's newest outcome events while in one company, newest first. */
  async outcomesOfGateway(gatewayId: string, companyId: string, limit: number): Promise<(Event & { _id: Types.ObjectId })[]> {
    return this.events
      .find({ gatewayId, companyId, type: { $in: OUTCOME_EVENT_TYPES } })
      .sort({ at: -1, _id: -1 })
      .limit(limit)
      .lean<(Event & { _id: Types.ObjectId })[]>()
      .exec();
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

function toDocument(input: RecordEventInput, now: Date): Omit<Event, 'actor'> & { actor: Event['actor'] } {
  return {
    type: input.type,
    at: input.at ?? now,
    companyId: input.companyId,
    actor: input.actor ? { userId: input.actor.userId, email: input.actor.email } : null,
    gatewayId: input.gatewayId ?? null,
    details: input.details ?? {},
  };
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

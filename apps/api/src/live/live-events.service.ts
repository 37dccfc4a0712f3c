import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';
import { z } from 'zod';
import type { TenantScope } from '../auth/principal';
import { ClusterBus, MAX_CLUSTER_MESSAGE_BYTES } from '../cluster/cluster-bus.service';
import type { LiveEvent } from '@upgrade-manager/dto';

export type { LiveEvent } from '@upgrade-manager/dto';

const LIVE_KIND = 'live';
const LIVE_BATCH_KIND = 'live-batch';
/** Events per bus message of `publishAll`: a batch of gateway Statuses raises one event per gateway. */
export const LIVE_EVENTS_PER_MESSAGE = 200;
/** Bytes of events' JSON per bus message of `publishAll`: half the bus's limit leaves room for the envelope and escaping. */
export const LIVE_BATCH_BYTES = MAX_CLUSTER_MESSAGE_BYTES / 2;
// The bus carries what the API processes wrote; the shape is checked, the data passed on as it came.
const liveEventSchema = z.object({ type: z.string().max(100), companyId: z.string().nullable(), data: z.record(z.string(), z.unknown()) });
const liveBatchSchema = z.object({ events: z.array(liveEventSchema).max(LIVE_EVENTS_PER_MESSAGE) });

/**
 * The bus of live changes; the stream endpoint forwards it to browsers, scoped per tenant. An
 * event goes through the broker (QoS 0, the API processes' cluster topic), so browsers connected
 * to any API process see what any process changed; the raising process hears it the same way.
 */
@Injectable()
export class LiveEventsService implements OnModuleInit {
  private readonly logger = new Logger(LiveEventsService.name);
  private readonly events$ = new Subject<LiveEvent>();

  constructor(private readonly bus: ClusterBus) {}

  onModuleInit(): void {
    // The shape is checked; the data is passed on as the sending process typed it.
    this.bus.on(LIVE_KIND, liveEventSchema, (event) => this.events$.next(event as LiveEvent));
    this.bus.on(LIVE_BATCH_KIND, liveBatchSchema, ({ events }) => {
      for (const event of events) this.events$.next(event as LiveEvent);
    });
  }

  publish(event: LiveEvent): void {
    this.bus.publish(LIVE_KIND, event, 0).catch((error: Error) => this.logger.warn(`Live event ${event.type} not sent: ${error.message}`));
  }

  /** Many events, in order, a few bus messages instead of one each (every process parses every bus message). */
  publishAll(events: readonly LiveEvent[]): void {
    if (events.length === 1) return this.publish(events[0]);
    for (const { events: chunk, json } of liveBatches(events)) {
      // Each event's JSON, written once to size the batches, is the message's body.
      this.bus
        .publish(LIVE_BATCH_KIND, { events: chunk }, 0, `{"events":[${json}]}`)
        .catch((error: Error) => this.logger.warn(`${chunk.length} live events not sent: ${error.message}`));
    }
  }

  /** Every event raised by any API process, unscoped: for the API's own followers (e.g. the deployment tracker). */
  get all$(): Observable<LiveEvent> {
    return this.events$.asObservable();
  }

  streamFor(scope: TenantScope): Observable<LiveEvent> {
    return this.events$.pipe(filter((event) => scope.companyId === null || event.companyId === null || event.companyId === scope.companyId));
  }
}

/** Events of one bus message, and their JSON joined by commas (`JSON.stringify(events)` without its brackets). */
export interface LiveBatch {
  events: LiveEvent[];
  json: string;
}

/** Events in order, cut into batches of at most LIVE_EVENTS_PER_MESSAGE events and LIVE_BATCH_BYTES of JSON (one larger event goes alone). */
export function liveBatches(events: readonly LiveEvent[]): LiveBatch[] {
  const batches: LiveBatch[] = [];
  let batch: LiveEvent[] = [];
  let texts: string[] = [];
  let bytes = 0;
  for (const event of events) {
    const text = JSON.stringify(event);
    const size = Buffer.byteLength(text) + 1;
    if (batch.length > 0 && (batch.length === LIVE_EVENTS_PER_MESSAGE || bytes + size > LIVE_BATCH_BYTES)) {
      batches.push({ events: batch, json: texts.join(',') });
      batch = [];
      texts = [];
      bytes = 0;
    }
    batch.push(event);
    texts.push(text);
    bytes += size;
  }
  if (batch.length > 0) batches.push({ events: batch, json: texts.join(',') });
  return batches;
}

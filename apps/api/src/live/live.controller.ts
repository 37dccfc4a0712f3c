import { Controller, HttpException, HttpStatus, MessageEvent, OnModuleDestroy, Sse, SseSignal } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { interval, map, merge, Observable, of, ReplaySubject, takeUntil } from 'rxjs';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { type Principal, tenantScopeOf } from '../auth/principal';
import { LiveEventsService } from './live-events.service';
import { LiveStreamSlots, MAX_STREAMS_PER_PROCESS, MAX_STREAMS_PER_USER } from './live-stream-slots';
import { StreamLifetime } from './stream-lifetime';

export const HEARTBEAT_INTERVAL_MS = 20_000;

@ApiTags('live')
@ApiBearerAuth()
@Controller('stream')
export class LiveController implements OnModuleDestroy {
  // Closing the HTTP server waits for every open connection, so on shutdown the streams end first (the
  // browser reconnects, to another process), and so does one asked for meanwhile on a kept-alive connection.
  // First of the shutdown hooks: the others' time lets the ended connections fall idle, which the close ends at once.
  private readonly shuttingDown = new ReplaySubject<void>(1);

  constructor(
    private readonly live: LiveEventsService,
    private readonly lifetime: StreamLifetime,
    private readonly slots: LiveStreamSlots,
  ) {}

  @Sse()
  @ApiOperation({ summary: 'Server-sent events of live changes for the caller’s companies' })
  // EventSource cannot send an Authorization header, so the token may come in the query.
  @ApiQuery({ name: 'access_token', required: false })
  // A documented error response replaces the default success one, so that one is named too.
  @ApiOkResponse({
    description: 'The stream (text/event-stream), open until the client leaves, its login ends or the API process stops',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiTooManyRequestsResponse({ description: `The caller has ${MAX_STREAMS_PER_USER} streams open, or this process ${MAX_STREAMS_PER_PROCESS}` })
  stream(@CurrentPrincipal() principal: Principal, @SseSignal() ended: AbortSignal): Observable<MessageEvent> {
    const slot = this.slots.take(principal.userId);
    if ('refused' in slot) {
      const message =
        slot.refused === 'per-user' ? `Too many live streams open for this user (${MAX_STREAMS_PER_USER})` : 'Too many live streams open; try again later';
      throw new HttpException({ statusCode: HttpStatus.TOO_MANY_REQUESTS, message }, HttpStatus.TOO_MANY_REQUESTS);
    }
    // Aborted on every way a stream ends, also when the client left before the stream began.
    if (ended.aborted) slot.release();
    else ended.addEventListener('abort', slot.release, { once: true });
    const events = this.live.streamFor(tenantScopeOf(principal)).pipe(map((event): MessageEvent => ({ data: event })));
    // The opening comment commits the headers at once (so the browser sees the stream open);
    // heartbeats keep proxies and idle timeouts from closing a quiet stream.
    const heartbeats = interval(HEARTBEAT_INTERVAL_MS).pipe(map((): MessageEvent => ({ comment: 'heartbeat' })));
    // Ends (and the response with it) when the login no longer holds (the browser reconnects with a new one) or the process stops.
    return merge(of({ comment: 'connected' }), events, heartbeats).pipe(takeUntil(merge(this.lifetime.endOf(principal), this.shuttingDown)));
  }

  onModuleDestroy(): void {
    this.shuttingDown.next();
  }
}

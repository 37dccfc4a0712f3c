import { Controller, MessageEvent, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { interval, map, merge, Observable, of, takeUntil } from 'rxjs';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { type Principal, tenantScopeOf } from '../auth/principal';
import { LiveEventsService } from './live-events.service';
import { StreamLifetime } from './stream-lifetime';

export const HEARTBEAT_INTERVAL_MS = 20_000;

@ApiTags('live')
@ApiBearerAuth()
@Controller('stream')
export class LiveController {
  constructor(
    private readonly live: LiveEventsService,
    private readonly lifetime: StreamLifetime,
  ) {}

  @Sse()
  @ApiOperation({ summary: 'Server-sent events of live changes for the caller’s companies' })
  // EventSource cannot send an Authorization header, so the token may come in the query.
  @ApiQuery({ name: 'access_token', required: false })
  stream(@CurrentPrincipal() principal: Principal): Observable<MessageEvent> {
    const events = this.live.streamFor(tenantScopeOf(principal)).pipe(map((event): MessageEvent => ({ data: event })));
    // The opening comment commits the headers at once (so the browser sees the stream open);
    // heartbeats keep proxies and idle timeouts from closing a quiet stream.
    const heartbeats = interval(HEARTBEAT_INTERVAL_MS).pipe(map((): MessageEvent => ({ comment: 'heartbeat' })));
    // Ends (and the response with it) when the login no longer holds; the browser reconnects with a new one.
    return merge(of({ comment: 'connected' }), events, heartbeats).pipe(takeUntil(this.lifetime.endOf(principal)));
  }
}

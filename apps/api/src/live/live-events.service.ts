import { Injectable } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';
import type { TenantScope } from '../auth/principal';

/** A change that web users see at once (SPEC §2 "status changes live without reload"). */
export interface LiveEvent {
  type: string;
  // null: every company sees it (e.g. a new version).
  companyId: string | null;
  data: Record<string, unknown>;
}

/** In-process bus of live changes; the stream endpoint forwards it to browsers, scoped per tenant. */
@Injectable()
export class LiveEventsService {
  private readonly events$ = new Subject<LiveEvent>();

  publish(event: LiveEvent): void {
    this.events$.next(event);
  }

  streamFor(scope: TenantScope): Observable<LiveEvent> {
    return this.events$.pipe(filter((event) => scope.companyId === null || event.companyId === null || event.companyId === scope.companyId));
  }
}

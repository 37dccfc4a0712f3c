import { Injectable, Logger } from '@nestjs/common';
import { catchError, concatMap, EMPTY, filter, from, interval, map, merge, type Observable, of, take, timer } from 'rxjs';
import type { Principal } from '../auth/principal';
import { PrincipalRevalidator } from '../auth/principal-revalidator';

// How often an open stream checks its login again (in every process: revocations are in the database).
export const STREAM_REVALIDATE_MS = 5_000;

/** When a live stream must end: its token expires, or the login it was opened with no longer holds. */
@Injectable()
export class StreamLifetime {
  private readonly logger = new Logger(StreamLifetime.name);

  constructor(private readonly revalidator: PrincipalRevalidator) {}

  /** Emits once, when the stream must end. */
  endOf(principal: Principal): Observable<string> {
    const checks = interval(STREAM_REVALIDATE_MS).pipe(
      // A failed check (database down) keeps the stream: the next one decides.
      concatMap(() => from(this.revalidator.endReason(principal)).pipe(catchError(() => of(null)))),
      filter((reason): reason is string => reason !== null),
    );
    const expiry = principal.token ? timer(principal.token.expiresAt).pipe(map(() => 'token expired')) : EMPTY;
    return merge(checks, expiry).pipe(
      take(1),
      map((reason) => {
        this.logger.log(`Live stream of ${principal.email} ended: ${reason}`);
        return reason;
      }),
    );
  }
}

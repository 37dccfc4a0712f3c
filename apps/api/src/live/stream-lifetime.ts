import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EMPTY, map, merge, NEVER, Observable, take, timer } from 'rxjs';
import type { Principal } from '../auth/principal';
import { PrincipalRevalidator } from '../auth/principal-revalidator';

// How often the open streams' logins are checked again (in every process: revocations are in the database).
export const STREAM_REVALIDATE_MS = 5_000;
// Logins checked by one round of reads (each read lists their ids).
export const LOGINS_PER_CHECK = 1_000;

interface WatchedStream {
  principal: Principal;
  end: (reason: string) => void;
}

/**
 * When a live stream must end: its token expires, or the login it was opened with no longer holds.
 * The logins of all open streams are checked together, a few reads per round however many streams
 * are open (one check per stream cost the API about 5 ms of CPU and FerretDB three reads each).
 */
@Injectable()
export class StreamLifetime implements OnModuleDestroy {
  private readonly logger = new Logger(StreamLifetime.name);
  private readonly watched = new Set<WatchedStream>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private readonly revalidator: PrincipalRevalidator) {}

  /** Emits once, when the stream must end. */
  endOf(principal: Principal): Observable<string> {
    // Development mode (no token) has no login to lose.
    const checks = principal.token ? new Observable<string>((subscriber) => this.watch({ principal, end: (reason) => subscriber.next(reason) })) : NEVER;
    const expiry = principal.token ? timer(principal.token.expiresAt).pipe(map(() => 'token expired')) : EMPTY;
    return merge(checks, expiry).pipe(
      take(1),
      map((reason) => {
        this.logger.log(`Live stream of ${principal.email} ended: ${reason}`);
        return reason;
      }),
    );
  }

  onModuleDestroy(): void {
    this.watched.clear();
    this.stopTimer();
  }

  /** Watches the stream's login until the returned teardown runs. */
  private watch(stream: WatchedStream): () => void {
    this.watched.add(stream);
    if (this.timer === null) {
      this.timer = setInterval(() => void this.checkAll(), STREAM_REVALIDATE_MS);
      this.timer.unref();
    }
    return () => {
      this.watched.delete(stream);
      if (this.watched.size === 0) this.stopTimer();
    };
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async checkAll(): Promise<void> {
    // A round slower than the interval is not overtaken by the next.
    if (this.checking) return;
    this.checking = true;
    try {
      const streams = [...this.watched];
      for (let offset = 0; offset < streams.length; offset += LOGINS_PER_CHECK) {
        const batch = streams.slice(offset, offset + LOGINS_PER_CHECK);
        let reasons: (string | null)[];
        try {
          reasons = await this.revalidator.endReasons(batch.map((stream) => stream.principal));
        } catch (error) {
          // A failed check (database down) keeps the streams: the next one decides.
          this.logger.warn(`Checking the logins of ${batch.length} live stream(s) failed: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        batch.forEach((stream, index) => {
          const reason = reasons[index];
          if (reason && this.watched.has(stream)) stream.end(reason);
        });
      }
    } finally {
      this.checking = false;
    }
  }
}

import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

// A browser opens at most six HTTP/1.1 connections to one server, so a person with a few browsers
// and devices stays well below this; more streams of one user only cost the server.
export const MAX_STREAMS_PER_USER = 16;
// Each open stream holds a socket, two timers and a login check every few seconds (STREAM_REVALIDATE_MS).
export const MAX_STREAMS_PER_PROCESS = 5_000;

export type StreamRefusal = 'per-user' | 'per-process';

/** A stream slot taken (released once, however often `release` is called), or why none was given. */
export type StreamSlot = { release: () => void } | { refused: StreamRefusal };

/**
 * How many live streams are open in this process, per user and in all: past either bound a new
 * stream is refused and counted. Per process, like the HTTP rate limit: it bounds what one user
 * can make each process hold.
 */
@Injectable()
export class LiveStreamSlots {
  private readonly perUser = new Map<string, number>();
  private open = 0;
  private readonly refused: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.refused = metrics.counter({ name: 'um_live_streams_refused_total', help: 'Live streams refused, by the bound reached', labelNames: ['reason'] });
    const open: Gauge = metrics.gauge({ name: 'um_live_streams_open', help: 'Live streams open in this process', collect: () => open.set(this.open) });
  }

  take(userId: string): StreamSlot {
    const ofUser = this.perUser.get(userId) ?? 0;
    const refusal: StreamRefusal | null = ofUser >= MAX_STREAMS_PER_USER ? 'per-user' : this.open >= MAX_STREAMS_PER_PROCESS ? 'per-process' : null;
    if (refusal !== null) {
      this.refused.inc({ reason: refusal });
      return { refused: refusal };
    }
    this.perUser.set(userId, ofUser + 1);
    this.open += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        const left = (this.perUser.get(userId) ?? 1) - 1;
        if (left > 0) this.perUser.set(userId, left);
        else this.perUser.delete(userId);
      },
    };
  }
}

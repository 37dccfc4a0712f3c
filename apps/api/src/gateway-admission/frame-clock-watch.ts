import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

/** A frame dated further than this from the server's clock is counted (replayed, or a gateway's clock is wrong). */
export const FRAME_CLOCK_SKEW_MAX_S = 3600;

export type FrameAge = 'current' | 'old' | 'future';

export function frameAge(timestampSeconds: number, nowMs: number): FrameAge {
  const skew = timestampSeconds - nowMs / 1000;
  if (skew < -FRAME_CLOCK_SKEW_MAX_S) return 'old';
  if (skew > FRAME_CLOCK_SKEW_MAX_S) return 'future';
  return 'current';
}

/**
 * Counts gateway frames dated far from now. They are still handled: gateways in the field keep no
 * reliable clock, so the date proves nothing; the count shows replays and broken clocks.
 */
@Injectable()
export class FrameClockWatch {
  private readonly skewed: Counter<'age'>;

  constructor(metrics: MetricsService) {
    this.skewed = metrics.counter({
      name: 'um_frames_clock_skew_total',
      help: `Gateway frames dated more than ${FRAME_CLOCK_SKEW_MAX_S} s from the server's clock, by age (old, future)`,
      labelNames: ['age'],
    });
  }

  note(timestampSeconds: number, nowMs = Date.now()): void {
    const age = frameAge(timestampSeconds, nowMs);
    if (age !== 'current') this.skewed.inc({ age });
  }
}

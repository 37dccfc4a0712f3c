import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { Gateway } from './gateway.schema';
import { GatewaysService } from './gateways.service';

// Counting scans the collection on FerretDB: scrapes closer together than this reuse the last counts.
export const GATEWAY_COUNT_MAX_AGE_MS = 10_000;

interface GatewayCounts {
  total: number;
  online: number;
}

/**
 * Gauges of the fleet, counted in the database at scrape time, so every API process reports the
 * same figures (a dashboard takes their max, not their sum).
 */
@Injectable()
export class GatewaysMetrics {
  private counted: Promise<GatewayCounts | null> | null = null;
  private countedAt = 0;

  constructor(
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    private readonly service: GatewaysService,
    metrics: MetricsService,
  ) {
    const countGauge = (name: string, help: string, pick: (counts: GatewayCounts) => number) => {
      const gauge: Gauge = metrics.gauge({
        name,
        help,
        collect: async () => {
          const counts = await this.counts();
          if (counts) gauge.set(pick(counts));
        },
      });
    };
    countGauge('um_gateways', 'Gateways known to the API (every company)', (counts) => counts.total);
    countGauge('um_gateways_online', 'Gateways heard from within ONLINE_WINDOW_S (every company)', (counts) => counts.online);
  }

  /** The counts, or null when the database did not answer (the gauges keep their last values). */
  private counts(now = Date.now()): Promise<GatewayCounts | null> {
    if (!this.counted || now - this.countedAt > GATEWAY_COUNT_MAX_AGE_MS) {
      this.countedAt = now;
      this.counted = Promise.all([
        this.gateways.countDocuments({}),
        this.gateways.countDocuments({ lastSeenAt: { $gte: this.service.onlineSince(new Date(now)) } }),
      ]).then(
        ([total, online]) => ({ total, online }),
        () => {
          // A failed count is retried at the next scrape rather than cached; the scrape itself goes on.
          this.counted = null;
          return null;
        },
      );
    }
    return this.counted;
  }
}

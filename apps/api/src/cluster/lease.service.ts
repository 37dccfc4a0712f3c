import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Gauge } from 'prom-client';
import type { Model } from 'mongoose';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { ApiInstances } from './api-instances.service';
import { Lease } from './lease.schema';
import { isDuplicateKeyError } from '../database/duplicate-key';

/** A job that runs in one API process at a time. */
export interface LeasedJob {
  /** Called when this process takes the lease. */
  start(): Promise<void> | void;
  /** Called when it loses or gives up the lease: stop before another process can start. */
  stop(): Promise<void> | void;
}

interface HeldLease {
  name: string;
  job: LeasedJob;
  held: boolean;
  timer: NodeJS.Timeout | null;
  // Serialises take/renew/stop of one lease.
  chain: Promise<void>;
}

/**
 * Leases in the database, one document per lease (`_id` = name, holder, expiry), taken and renewed
 * with a conditional write: the holder renews every third of LEASE_TTL_S; when it dies, another
 * process takes the lease once it has expired and starts the job. A holder that cannot renew stops
 * its job before its lease expires, so two processes never run it at once (with clocks in sync:
 * expiry times are written by the holders' clocks).
 */
@Injectable()
export class LeaseService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LeaseService.name);
  private readonly leases = new Map<string, HeldLease>();
  private readonly ttlMs: number;
  /** This process in lease documents (ApiInstances.processId). */
  readonly holder: string;
  private closed = false;

  constructor(
    @InjectModel(Lease.name) private readonly model: Model<Lease>,
    instances: ApiInstances,
    config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.ttlMs = config.get('LEASE_TTL_S') * 1000;
    this.holder = instances.processId;
    const held: Gauge<'lease'> = metrics.gauge({
      name: 'um_leases_held',
      help: 'Leases this API process holds (1) or waits for (0)',
      labelNames: ['lease'],
      collect: () => {
        for (const lease of this.leases.values()) held.set({ lease: lease.name }, lease.held ? 1 : 0);
      },
    });
  }

  /** Runs `job` in whichever process holds the lease `name`; call once per name, e.g. at application bootstrap. */
  run(name: string, job: LeasedJob): void {
    if (this.leases.has(name)) throw new Error(`Lease ${name} is already run by this process`);
    const lease: HeldLease = { name, job, held: false, timer: null, chain: Promise.resolve() };
    this.leases.set(name, lease);
    this.tick(lease);
  }

  isHeld(name: string): boolean {
    return this.leases.get(name)?.held ?? false;
  }

  // Before the database connection closes: the jobs stop and the leases are handed back.
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.leases.values()].map((lease) => this.release(lease)));
  }

  private tick(lease: HeldLease): void {
    lease.chain = lease.chain.then(async () => {
      if (this.closed) return;
      const startedAt = Date.now();
      const taken = await this.take(lease.name).catch((error: Error) => {
        this.logger.warn(`Lease ${lease.name}: ${error.message}`);
        return false;
      });
      // The write set the expiry to startedAt + TTL: a renewal that came back that late (or nearly)
      // may have let another process in already.
      const inTime = Date.now() - startedAt < (this.ttlMs * 3) / 4;
      if (taken && inTime && !lease.held) {
        lease.held = true;
        this.logger.log(`Lease ${lease.name} taken by ${this.holder}`);
        await this.guard(lease, () => lease.job.start());
      } else if ((!taken || !inTime) && lease.held) {
        lease.held = false;
        this.logger.warn(`Lease ${lease.name} lost by ${this.holder}`);
        await this.guard(lease, () => lease.job.stop());
      }
      if (this.closed) return;
      lease.timer = setTimeout(() => this.tick(lease), lease.held ? this.ttlMs / 3 : this.ttlMs / 3 + Math.random() * 500);
    });
  }

  // Takes or renews: the write matches when the lease is free, expired or already ours.
  private async take(name: string): Promise<boolean> {
    const now = new Date();
    try {
      const result = await this.model.updateOne(
        { _id: name, $or: [{ holder: this.holder }, { expiresAt: { $lte: now } }] },
        { $set: { holder: this.holder, expiresAt: new Date(now.getTime() + this.ttlMs) } },
        { upsert: true },
      );
      return result.matchedCount + result.upsertedCount === 1;
    } catch (error) {
      // The insert of the upsert met the document another process holds.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async release(lease: HeldLease): Promise<void> {
    if (lease.timer) clearTimeout(lease.timer);
    lease.timer = null;
    await lease.chain;
    if (!lease.held) return;
    lease.held = false;
    await this.guard(lease, () => lease.job.stop());
    // Expired at once: another process takes over without waiting for the time-to-live.
    await this.model.updateOne({ _id: lease.name, holder: this.holder }, { $set: { expiresAt: new Date(0) } }).catch(() => undefined);
  }

  private async guard(lease: HeldLease, action: () => Promise<void> | void): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.logger.error(`Lease ${lease.name}: ${(error as Error).message}`);
    }
  }
}

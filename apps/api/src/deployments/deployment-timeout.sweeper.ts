import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LeaseService } from '../cluster/lease.service';
import { AppConfigService } from '../config/app-config.service';
import { DeploymentTracker } from './deployment-tracker.service';
import { DeploymentsService } from './deployments.service';
import type { SettleCursor } from './settle-candidates';

// After a restart, Status messages queued by the broker while the API was down confirm their
// targets first; sweeping at once could fail targets whose confirmation is already waiting.
const STARTUP_GRACE_MS = 5_000;
const MIN_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 10_000;
// Deployments checked for being settled per round (each costs a read of its targets).
const SETTLE_CHECKS_PER_ROUND = 5;

export const DEPLOYMENT_SWEEP_LEASE = 'deployment-sweep';

/**
 * In one API process at a time (the holder of the lease `deployment-sweep`): publishes again what
 * a dead process accepted but had not handed to the broker, and fails pending targets past their
 * deadline, and marks deployments whose targets are all decided as settled. All are in the
 * database, so the process that takes the lease over carries on where the last holder stopped;
 * each decision is taken once (see DeploymentTracker).
 */
@Injectable()
export class DeploymentTimeoutSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeploymentTimeoutSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  // Where the last round's settle checks stopped. A hint only: the next lease holder starts from the oldest.
  private settleCursor: SettleCursor | null = null;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly tracker: DeploymentTracker,
    private readonly deployments: DeploymentsService,
    private readonly leases: LeaseService,
    config: AppConfigService,
  ) {
    this.timeoutMs = config.get('DEPLOYMENT_TIMEOUT_S') * 1000;
    this.intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, this.timeoutMs / 4));
  }

  onApplicationBootstrap(): void {
    this.leases.run(DEPLOYMENT_SWEEP_LEASE, { start: () => this.start(), stop: () => this.stop() });
  }

  private start(): void {
    this.timer = setTimeout(() => {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      this.sweep();
    }, STARTUP_GRACE_MS);
  }

  private async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private sweep(): void {
    if (this.running) return;
    this.running = this.round()
      .catch((error: Error) => this.logger.warn(`Time-out sweep failed, retried next round: ${error.message}`))
      .finally(() => {
        this.running = null;
      });
  }

  private async round(): Promise<void> {
    const republished = await this.deployments.republishOrphans();
    if (republished > 0) this.logger.log(`${republished} target(s) of unpublished deployments published again`);
    const count = await this.tracker.failOverdue();
    if (count > 0) this.logger.log(`${count} deployment target(s) timed out`);
    // Past their deadline, so decided unless a process missed them (then the next round times them out).
    const { next } = await this.tracker.markSettled(new Date(Date.now() - this.timeoutMs), SETTLE_CHECKS_PER_ROUND, this.settleCursor);
    this.settleCursor = next;
  }
}

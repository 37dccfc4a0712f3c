import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfigService } from '../config/app-config.service';
import { DeploymentTracker } from './deployment-tracker.service';

// After a restart, Status messages queued by the broker while the API was down confirm their
// targets first; sweeping at once could fail targets whose confirmation is already waiting.
const STARTUP_GRACE_MS = 5_000;
const MIN_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 10_000;

/** Fails pending targets past their deadline (the tracker's, loaded from the database, so time-outs survive a restart). */
@Injectable()
export class DeploymentTimeoutSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeploymentTimeoutSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly tracker: DeploymentTracker,
    private readonly config: AppConfigService,
  ) {}

  onApplicationBootstrap(): void {
    const timeoutMs = this.config.get('DEPLOYMENT_TIMEOUT_S') * 1000;
    const intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, timeoutMs / 4));
    this.timer = setTimeout(() => {
      this.timer = setInterval(() => this.sweep(), intervalMs);
      this.sweep();
    }, STARTUP_GRACE_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private sweep(): void {
    if (this.running) return;
    this.running = this.tracker
      .failOverdue()
      .then((count) => {
        if (count > 0) this.logger.log(`${count} deployment target(s) timed out`);
      })
      .catch((error: Error) => this.logger.warn(`Time-out sweep failed, retried next round: ${error.message}`))
      .finally(() => {
        this.running = null;
      });
  }
}

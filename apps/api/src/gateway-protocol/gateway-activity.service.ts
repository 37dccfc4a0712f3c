import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { StatusPayload } from '@upgrade-manager/frame-codec';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { CompaniesService } from '../companies/companies.service';
import { DeploymentTracker } from '../deployments/deployment-tracker.service';
import { GatewayAdmission } from '../gateway-admission/gateway-admission.service';
import { GatewaysStore, type StatusWriteResult } from '../gateways/gateways.store';
import { LiveEventsService, type LiveEvent } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { CoalescingBatcher } from './coalescing-batcher';
import { mergeActivity, receivedStatus, statusSentAt, type GatewayActivity } from './gateway-activity';
import { activityWrites } from './gateway-activity-writes';

// 100, not 50: half the batches (and bulk writes) while Statuses trickle in during a rollout; a full batch of 1,000 goes at once.
export const ACTIVITY_FLUSH_INTERVAL_MS = 100;
export const ACTIVITY_BATCH_MAX = 1000;
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5_000;
const KNOWN_COMPANIES_MAX = 100_000;

/**
 * Everything gateways tell us about themselves (Status, liveness), written in batches: one bulk
 * write per ~100 ms or 1,000 gateways instead of one round-trip per message. Repeated messages of
 * one gateway coalesce, so a failed write is simply retried later with nothing lost.
 * A Status is acknowledged to the broker only once its batch is written (see RawFrameMqttServer),
 * so a hard kill (SIGKILL, power loss) loses nothing: the broker delivers the unwritten ones again.
 */
@Injectable()
export class GatewayActivityService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(GatewayActivityService.name);
  private readonly batcher: CoalescingBatcher<string, GatewayActivity>;
  private readonly batchSize: Histogram;
  private readonly writeFailures: Counter;
  private readonly registered: Counter;
  private readonly rejectedWrites: Counter;
  private readonly staleStatuses: Counter;
  private readonly existingCompanies = new Set<string>();

  constructor(
    private readonly gateways: GatewaysStore,
    private readonly companies: CompaniesService,
    private readonly tracker: DeploymentTracker,
    private readonly live: LiveEventsService,
    private readonly admission: GatewayAdmission,
    metrics: MetricsService,
  ) {
    this.batchSize = metrics.histogram({
      name: 'um_gateway_activity_batch_size',
      help: 'Gateways per bulk write of gateway activity',
      buckets: [1, 5, 20, 50, 100, 250, 500, 1000],
    });
    this.writeFailures = metrics.counter({ name: 'um_gateway_activity_write_failures_total', help: 'Failed bulk writes of gateway activity (retried)' });
    this.registered = metrics.counter({ name: 'um_gateways_registered_total', help: 'Gateways created by their first Status' });
    this.rejectedWrites = metrics.counter({ name: 'um_gateway_activity_rejected_total', help: 'Gateway updates the database refused (dropped, not retried)' });
    this.staleStatuses = metrics.counter({
      name: 'um_gateway_status_stale_total',
      help: 'Statuses not stored because one the gateway sent later was stored already (another API process wrote it first)',
    });
    const pending: Gauge = metrics.gauge({
      name: 'um_gateway_activity_pending',
      help: 'Gateways with activity not yet written (waiting or being written)',
      collect: () => pending.set(this.batcher.unwritten),
    });
    this.batcher = new CoalescingBatcher<string, GatewayActivity>({
      write: (batch) => this.write(batch),
      merge: mergeActivity,
      intervalMs: ACTIVITY_FLUSH_INTERVAL_MS,
      maxEntries: ACTIVITY_BATCH_MAX,
      retryBaseMs: RETRY_BASE_MS,
      retryMaxMs: RETRY_MAX_MS,
      onWriteError: (error, attempt, size) => {
        this.writeFailures.inc();
        this.logger.error(`Could not write the activity of ${size} gateway(s) (attempt ${attempt}, retrying): ${(error as Error).message}`);
      },
    });
  }

  /**
   * A Status (its frame dated `timestampSeconds`): creates the gateway (and its company) on first
   * sight, updates version and last upgrade unless a Status sent later is stored already.
   * Resolves true once written (or found stale), false when the API shut down before it could write it.
   */
  recordStatus(gatewayId: string, status: StatusPayload, timestampSeconds: number, receivedAt = new Date()): Promise<boolean> {
    const sentAt = statusSentAt(timestampSeconds, receivedAt);
    return this.batcher.add(gatewayId, { status: receivedStatus(status, receivedAt, sentAt), lastSeenAt: receivedAt });
  }

  /** Any other message: the gateway is alive. Unknown gateways are not created by this. */
  recordSeen(gatewayId: string, at = new Date()): void {
    // Liveness is refreshed by the gateway's next message: nobody waits for this write.
    void this.batcher.add(gatewayId, { status: null, lastSeenAt: at });
  }

  /** Writes everything received so far. */
  flush(): Promise<void> {
    return this.batcher.flush(3);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.flush(3);
  }

  // The MQTT subscriber is closed by now, so nothing new arrives.
  async onApplicationShutdown(): Promise<void> {
    const lost = await this.batcher.close(3);
    if (lost.size > 0) {
      this.logger.error(`Shutting down with the activity of ${lost.size} gateway(s) unwritten: ${[...lost.keys()].slice(0, 50).join(', ')}`);
    }
  }

  private async write(received: Map<string, GatewayActivity>): Promise<void> {
    const registrationFields = this.admission.registrationFields();
    const first = await this.admission.registerByWrite(received, async (gatewayIds) => {
      const { statuses } = activityWrites(new Map(gatewayIds.map((gatewayId) => [gatewayId, received.get(gatewayId) as GatewayActivity])));
      const result = await this.gateways.insertFirstStatuses(statuses, registrationFields);
      // A gateway is never left without its company for longer than a crash between these two writes (its next Status creates it).
      await this.ensureCompanies(statuses.filter(({ gatewayId }) => result.inserted.has(gatewayId)).map(({ companyId }) => companyId));
      return result;
    });
    this.reportRefused(first.refused);
    const batch = await this.admission.screen(first.remaining);
    const { companyIds, statuses, touch, statusReports } = activityWrites(batch);
    await this.ensureCompanies(companyIds);
    // The tracker decides what the Statuses mean for pending upgrades; their copy goes into the gateways' own write.
    const decisions = await this.tracker.decideOnStatuses(statusReports);
    let registered = new Set<string>();
    let stale = new Set<string>();
    try {
      const result = await this.gateways.upsertStatuses(
        statuses.map((status) => {
          const upgrade = decisions.upgrades.get(status.gatewayId);
          return upgrade ? { ...status, upgrade } : status;
        }),
        registrationFields,
      );
      // The gateway's stored Status was sent later (another process wrote it first).
      stale = result.stale;
      this.staleStatuses.inc(stale.size);
      this.reportRefused(result.refused);
      // An upgrade decided by a stale Status is still this gateway's upgrade: it is written alone.
      await this.gateways.setUpgradeOutcomes(
        [...stale].flatMap((gatewayId) => {
          const upgrade = decisions.upgrades.get(gatewayId);
          return upgrade ? [{ gatewayId, upgrade }] : [];
        }),
      );
      registered = result.registered;
      await this.tracker.settle(decisions);
    } finally {
      decisions.release();
    }
    if (touch) await this.gateways.touchLiveness(touch.gatewayIds, touch.seenAt);
    this.batchSize.observe(received.size);
    for (const gatewayId of first.registered) batch.set(gatewayId, received.get(gatewayId) as GatewayActivity);
    this.announce(batch, new Set([...registered, ...first.registered]), stale);
  }

  // Permanent: e.g. a gateway document whose _id is not its gatewayId (written by hand).
  private reportRefused(refused: StatusWriteResult['refused']): void {
    for (const { gatewayId, message } of refused) {
      this.rejectedWrites.inc();
      this.logger.error(`Gateway ${gatewayId}: the database refused its update, dropped: ${message}`);
    }
  }

  // Companies are never deleted: one known to exist is not upserted again (a scan of the companies on FerretDB).
  private async ensureCompanies(companyIds: readonly string[]): Promise<void> {
    const unknown = companyIds.filter((companyId) => !this.existingCompanies.has(companyId));
    if (unknown.length === 0) return;
    await this.companies.ensureExist(unknown);
    if (this.existingCompanies.size >= KNOWN_COMPANIES_MAX) this.existingCompanies.clear();
    for (const companyId of unknown) this.existingCompanies.add(companyId);
  }

  private announce(batch: Map<string, GatewayActivity>, created: ReadonlySet<string>, stale: ReadonlySet<string>): void {
    this.registered.inc(created.size);
    const events: LiveEvent[] = [];
    for (const [gatewayId, activity] of batch) {
      const status = activity.status;
      if (status === null || stale.has(gatewayId)) continue;
      const data = {
        gatewayId,
        companyId: status.companyId,
        version: status.version,
        lastUpgradeAt: status.lastUpgradeAt === null ? null : new Date(status.lastUpgradeAt).toISOString(),
        lastSeenAt: activity.lastSeenAt.toISOString(),
      };
      if (created.has(gatewayId)) this.logger.log(`Gateway ${gatewayId} registered (company ${status.companyId}, version ${status.version})`);
      events.push({ type: created.has(gatewayId) ? 'gateway.registered' : 'gateway.updated', companyId: status.companyId, data });
    }
    this.live.publishAll(events);
  }
}

import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { StatusPayload } from '@upgrade-manager/frame-codec';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { CompaniesService } from '../companies/companies.service';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
import { DeploymentTracker } from '../deployments/deployment-tracker.service';
import { GatewayAdmission } from '../gateway-admission/gateway-admission.service';
import { Gateway } from '../gateways/gateway.schema';
import { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { CoalescingBatcher } from './coalescing-batcher';
import { mergeActivity, statusSentAt, type GatewayActivity } from './gateway-activity';
import { activityWrites, withUpgrades } from './gateway-activity-writes';
import { conditionalUpserts } from './conditional-upserts';

export const ACTIVITY_FLUSH_INTERVAL_MS = 50;
export const ACTIVITY_BATCH_MAX = 500;
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * Everything gateways tell us about themselves (Status, liveness), written in batches: one bulk
 * write per ~50 ms or 500 gateways instead of one round-trip per message. Repeated messages of
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

  constructor(
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    private readonly companies: CompaniesService,
    private readonly tracker: DeploymentTracker,
    private readonly live: LiveEventsService,
    private readonly admission: GatewayAdmission,
    metrics: MetricsService,
  ) {
    this.batchSize = metrics.histogram({
      name: 'um_gateway_activity_batch_size',
      help: 'Gateways per bulk write of gateway activity',
      buckets: [1, 5, 20, 50, 100, 250, 500],
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
    return this.batcher.add(gatewayId, { status: { ...status, receivedAt, sentAt }, lastSeenAt: receivedAt });
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
    const batch = await this.admission.screen(received);
    const { companyIds, upserts, touch, statusReports } = activityWrites(batch, this.admission.registrationFields());
    await this.companies.ensureExist(companyIds);
    // The tracker decides what the Statuses mean for pending upgrades; their copy goes into the gateways' own write.
    const decisions = await this.tracker.decideOnStatuses(statusReports);
    let upserted: Record<number, unknown>;
    const stale = new Set<string>();
    try {
      const result = await conditionalUpserts(
        this.gateways,
        withUpgrades(upserts, decisions.upgrades).map(({ updateOne }) => ({ updateOne }) as AnyBulkWriteOperation<Gateway>),
        (indices) =>
          this.existingGateways(
            indices.map((index) => upserts[index].gatewayId),
            indices,
          ),
      );
      // The gateway's stored Status was sent later (another process wrote it first).
      for (const index of result.unmatched) stale.add(upserts[index].gatewayId);
      this.staleStatuses.inc(stale.size);
      for (const { index, message } of result.rejected) {
        // Permanent: e.g. a gateway document whose _id is not its gatewayId (written by hand).
        this.rejectedWrites.inc();
        this.logger.error(`Gateway ${upserts[index].gatewayId}: the database refused its update, dropped: ${message}`);
      }
      // An upgrade decided by a stale Status is still this gateway's upgrade: it is written alone.
      const decidedByStale = [...stale].flatMap((gatewayId) => {
        const upgrade = decisions.upgrades.get(gatewayId);
        return upgrade ? [{ updateOne: { filter: { _id: gatewayId }, update: { $set: { upgrade } } } }] : [];
      });
      if (decidedByStale.length > 0) await chunkedBulkWrite(this.gateways, decidedByStale);
      upserted = result.upsertedIds;
      await this.tracker.settle(decisions);
    } finally {
      decisions.release();
    }
    if (touch) {
      // One statement per gateway: by _id they cost a lookup each, a filter on a list of ids costs a scan in FerretDB.
      await chunkedBulkWrite(
        this.gateways,
        touch.gatewayIds.map((gatewayId) => ({ updateOne: { filter: { _id: gatewayId }, update: { $max: { lastSeenAt: touch.seenAt } } } })),
      );
    }
    this.batchSize.observe(batch.size);
    this.announce(batch, upserts, upserted, stale);
  }

  private async existingGateways(gatewayIds: readonly string[], indices: readonly number[]): Promise<Set<number>> {
    // One read by _id each: a filter on a list of ids costs a scan in FerretDB. Rare: only Statuses that lost twice.
    const found = await Promise.all(gatewayIds.map((_id) => this.gateways.exists({ _id })));
    return new Set(indices.filter((_, position) => found[position] !== null));
  }

  private announce(
    batch: Map<string, GatewayActivity>,
    operations: readonly { gatewayId: string }[],
    upserted: Record<number, unknown>,
    stale: ReadonlySet<string>,
  ): void {
    const created = new Set(Object.keys(upserted).map((index) => operations[Number(index)].gatewayId));
    this.registered.inc(created.size);
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
      this.live.publish({ type: created.has(gatewayId) ? 'gateway.registered' : 'gateway.updated', companyId: status.companyId, data });
    }
  }
}

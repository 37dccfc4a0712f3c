import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isTerminalProgressState, TERMINAL_PROGRESS_STATES, type Progress, type ProgressState } from '@upgrade-manager/protocol-v2';
import type { Model } from 'mongoose';
import type { Counter } from 'prom-client';
import { chunkedBulkWrite, MAX_STATEMENTS_PER_WRITE } from '../database/chunked-bulk-write';
import { DeploymentTracker, type TargetChange } from '../deployments/deployment-tracker.service';
import { transitionOnReport } from '../deployments/target-outcome';
import { CoalescingBatcher } from '../gateway-protocol/coalescing-batcher';
import { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { ImageDeliveryService } from './image-delivery.service';
import { ImageOffer, OFFER_STATES, offerId, type OfferState } from './image-offer.schema';
import { KeyedSerial } from './keyed-serial';
import { TokenBuckets } from './token-buckets';

// `downloading` reports come about once a second per gateway; one write per this interval is enough
// (the latest report of the interval is written at its end).
const DOWNLOADING_WRITE_INTERVAL_MS = 2_000;
const MAX_THROTTLED_TARGETS = 100_000;
const MAX_KNOWN_DEPLOYMENTS = 10_000;
export const PROGRESS_PER_S = 5;
export const PROGRESS_BURST = 10;
export const PROGRESS_REFUSED = {
  name: 'um_v2_progress_refused_total',
  help: 'Upgrade Progress reports (protocol v2) refused, by reason',
  labelNames: ['reason'],
} as const;
// Reports are written in batches (one bulk write by _id, one read back), like the Status ingest.
const BATCH_INTERVAL_MS = 250;
const BATCH_RETRY_BASE_MS = 250;
const BATCH_RETRY_MAX_MS = 5_000;
// Offers read by _id at once.
const READS_AT_ONCE = 10;
// Key of the offers' writes: a batch and the end of offers never run at once (see the class comment).
const OFFER_WRITES = 'offers';

/** A report waiting in the batch: the latest state of one target, its bytes and reason. */
interface PendingReport {
  sha256: string;
  gatewayId: string;
  deploymentId: string;
  state: ProgressState;
  bytes: number | null;
  reason: string | null;
}

/** The later of two reports of one target: a final state stays, otherwise the further one; bytes are kept. */
export function laterReport(older: PendingReport, newer: PendingReport): PendingReport {
  if (isTerminalProgressState(older.state)) return older;
  const further = isTerminalProgressState(newer.state) || OFFER_STATES.indexOf(newer.state) >= OFFER_STATES.indexOf(older.state) ? newer : older;
  return { ...further, bytes: further.bytes ?? (further === newer ? older.bytes : newer.bytes) };
}

function isEnded(state: OfferState): boolean {
  return (TERMINAL_PROGRESS_STATES as readonly string[]).includes(state);
}

/**
 * The stored states a report may replace: earlier ones and its own (bytes move on), never a
 * later one, so a report handled late cannot undo a later state (`installing` after `succeeded`).
 */
function statesReplacedBy(state: ProgressState): OfferState[] {
  const open = OFFER_STATES.filter((stored) => !isEnded(stored));
  return isTerminalProgressState(state) ? open : open.slice(0, open.indexOf(state) + 1);
}

/**
 * Upgrade Progress from protocol-v2 gateways: the latest state and bytes per target (an ended
 * offer never changes again, a state never goes back), live to web
 * users, and `failed` or `rejected` fail the deployment target with the gateway's reason in the
 * event log. Reports coalesce per target and go out in batches (a target's downloading, downloaded,
 * verified and installing often share one write). Offers are read and written by `_id` only, the
 * order rule checked on the document just read, and the writes of one process run one at a time.
 * Two API processes (a gateway's reports spread over them by a shared subscription) could still
 * write one offer in the wrong order; what the offer's state decides stays safe: a closed offer
 * stays closed, and a deployment target is decided by the tracker's conditional writes.
 */
@Injectable()
export class DeliveryProgressService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryProgressService.name);
  private readonly lastWrite = new Map<string, number>();
  private readonly finalReports = new Set<string>();
  // The image of each deployment, looked up once (a scan on FerretDB) however many reports arrive meanwhile.
  private readonly images = new Map<string, Promise<string | null>>();
  // Each report may cost a write: a gateway reports about once a second, never needs ten.
  private readonly buckets = new TokenBuckets(PROGRESS_PER_S, PROGRESS_BURST);
  private readonly serial = new KeyedSerial();
  private readonly refused: Counter<'reason'>;
  private readonly reports: Counter<'state'>;
  private readonly batch: CoalescingBatcher<string, PendingReport>;
  // Deployment targets failed by their gateway's report, one after another after their batch.
  private failing: Promise<void> = Promise.resolve();
  private readonly deferred = new Map<string, PendingReport>();
  private deferredTimer: NodeJS.Timeout | null = null;

  constructor(
    @InjectModel(ImageOffer.name) private readonly offers: Model<ImageOffer>,
    private readonly delivery: ImageDeliveryService,
    private readonly tracker: DeploymentTracker,
    private readonly live: LiveEventsService,
    metrics: MetricsService,
  ) {
    this.refused = metrics.counter(PROGRESS_REFUSED);
    this.reports = metrics.counter({ name: 'um_v2_progress_total', help: 'Upgrade Progress reports (protocol v2) applied, by state', labelNames: ['state'] });
    tracker.onDecisions((changes) => this.endOffers(changes));
    this.batch = new CoalescingBatcher<string, PendingReport>({
      write: (reports) => this.serial.run(OFFER_WRITES, () => this.writeBatch([...reports.values()])),
      merge: laterReport,
      intervalMs: BATCH_INTERVAL_MS,
      maxEntries: MAX_STATEMENTS_PER_WRITE,
      retryBaseMs: BATCH_RETRY_BASE_MS,
      retryMaxMs: BATCH_RETRY_MAX_MS,
      onWriteError: (error, attempt, size) =>
        this.logger.warn(`Writing ${size} progress report(s) failed (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.deferredTimer) clearTimeout(this.deferredTimer);
    this.writeDeferred();
    await this.batch.close();
    await this.failing;
  }

  /** A report decoded by its route (GatewayMessageRouter). */
  async receive(gatewayId: string, progress: Progress): Promise<void> {
    const key = `${progress.deploymentId}:${gatewayId}`;
    // A target's final report is never lost to the rate limit (its burst may be spent on the states
    // just before it); only its first one passes free, so repeating it cannot flood the database.
    const firstFinalReport = isTerminalProgressState(progress.state) && this.markFinalReport(key);
    if (!firstFinalReport && !this.buckets.take(gatewayId)) return this.refuse('rate-limited', gatewayId, 'too many progress reports');
    const sha256 = await this.imageOf(progress.deploymentId);
    if (sha256 === null) return this.refuse('not-offered', gatewayId, `progress for deployment ${progress.deploymentId}, which has no offer`);
    const report: PendingReport = { sha256, gatewayId, ...progress };
    const batchKey = `${key}:${sha256}`;
    const now = Date.now();
    if (progress.state === 'downloading' && now - (this.lastWrite.get(key) ?? 0) < DOWNLOADING_WRITE_INTERVAL_MS) {
      // Written later, not dropped: the shared stream paces by a target's latest bytes.
      if (this.deferred.size < MAX_THROTTLED_TARGETS || this.deferred.has(batchKey)) this.deferred.set(batchKey, report);
      this.deferredTimer ??= setTimeout(() => this.writeDeferred(), DOWNLOADING_WRITE_INTERVAL_MS);
      return;
    }
    this.deferred.delete(batchKey);
    if (this.lastWrite.size >= MAX_THROTTLED_TARGETS) this.lastWrite.clear();
    this.lastWrite.set(key, now);
    await this.batch.add(batchKey, report);
  }

  /** Hands the `downloading` reports held back by the write interval to the batch. */
  private writeDeferred(): void {
    this.deferredTimer = null;
    const now = Date.now();
    for (const [batchKey, report] of this.deferred) {
      this.lastWrite.set(`${report.deploymentId}:${report.gatewayId}`, now);
      void this.batch.add(batchKey, report);
    }
    this.deferred.clear();
  }

  /**
   * Writes a batch of reports where the offer is open and holds no earlier-or-equal state. Read
   * and written by `_id` alone: FerretDB serves only that filter from its index and scans the
   * collection for any other (1-2 s each at a thousand offers), so the order rule is checked on
   * the document just read; offer writes of this process run one at a time (see the class).
   */
  private async writeBatch(reports: PendingReport[]): Promise<void> {
    const stored = await this.readByIds(reports.map((report) => offerId(report.sha256, report.gatewayId)));
    const applied: { report: PendingReport; offer: ImageOffer }[] = [];
    for (const report of reports) {
      const offer = stored.get(offerId(report.sha256, report.gatewayId));
      if (!offer || offer.deploymentId !== report.deploymentId || offer.closedReason || !statesReplacedBy(report.state).includes(offer.state)) {
        this.refuse('not-offered', report.gatewayId, `progress for deployment ${report.deploymentId}, which has no open offer in an earlier state`);
        continue;
      }
      const set = { state: report.state, reason: report.reason, bytes: report.bytes ?? offer.bytes };
      applied.push({ report, offer: { ...offer, ...set } });
    }
    await chunkedBulkWrite(
      this.offers,
      applied.map(({ offer: { _id, state, reason, bytes } }) => ({ updateOne: { filter: { _id }, update: { $set: { state, reason, bytes } } } })),
    );
    for (const { report, offer } of applied) {
      this.reports.inc({ state: report.state });
      this.publishLive(offer);
      if (isTerminalProgressState(report.state)) this.ended(report);
    }
  }

  /** The offers of these ids, each read by `_id` (a few at a time), the one lookup FerretDB indexes. */
  private async readByIds(ids: readonly string[]): Promise<Map<string, ImageOffer>> {
    const stored = new Map<string, ImageOffer>();
    for (let offset = 0; offset < ids.length; offset += READS_AT_ONCE) {
      const offers = await Promise.all(ids.slice(offset, offset + READS_AT_ONCE).map((_id) => this.offers.findOne({ _id }).lean<ImageOffer>()));
      for (const offer of offers) if (offer) stored.set(offer._id, offer);
    }
    return stored;
  }

  /** A target's final report was stored: no more chunks for it; a failure fails its deployment target. */
  private ended(report: PendingReport): void {
    const { deploymentId, gatewayId, sha256, state, reason } = report;
    this.lastWrite.delete(`${deploymentId}:${gatewayId}`);
    this.delivery.forget(gatewayId, sha256);
    const transition = transitionOnReport(report);
    if (!transition) return;
    this.logger.warn(`Gateway ${gatewayId}: deployment ${deploymentId} ${state}: ${reason ?? ''}`);
    const fail = () => this.tracker.decideReported(deploymentId, gatewayId, transition);
    // After the batch, not inside it: the tracker's writes must not hold up the next reports.
    this.failing = this.failing.then(fail).then(
      () => undefined,
      (error: Error) => this.logger.error(`Gateway ${gatewayId}: failing its target of deployment ${deploymentId} failed: ${error.message}`),
    );
  }

  /**
   * Called by the tracker before it records decided targets. A confirmed v2 target's offer ends
   * as succeeded (its gateway sends the new version only after `succeeded`, whose report may
   * still be on its way or lost), so a confirmed target always shows a final state; a failed
   * target's open offer is closed, so no more chunks are served for it.
   */
  async endOffers(changes: readonly TargetChange[]): Promise<void> {
    const v2 = changes.filter(({ target }) => target.protocol === 2);
    const ending: { change: TargetChange; id: string; sha256: string }[] = [];
    for (const change of v2) {
      const sha256 = await this.imageOf(change.target.deploymentId);
      if (sha256 !== null) ending.push({ change, id: offerId(sha256, change.target.gatewayId), sha256 });
    }
    if (ending.length === 0) return;
    const confirmed = await this.serial.run(OFFER_WRITES, async () => {
      const stored = await this.readByIds(ending.map(({ id }) => id));
      const ended: ImageOffer[] = [];
      const operations = [];
      for (const { change, id } of ending) {
        const offer = stored.get(id);
        if (!offer || offer.deploymentId !== change.target.deploymentId || isEnded(offer.state)) continue;
        if (change.status === 'confirmed') {
          operations.push({ updateOne: { filter: { _id: id }, update: { $set: { state: 'succeeded', reason: null } } } });
          ended.push({ ...offer, state: 'succeeded', reason: null });
        } else if (!offer.closedReason) {
          operations.push({ updateOne: { filter: { _id: id }, update: { $set: { closedReason: change.reason ?? change.status } } } });
        }
      }
      await chunkedBulkWrite(this.offers, operations);
      return ended;
    });
    for (const { change, sha256 } of ending) this.delivery.forget(change.target.gatewayId, sha256);
    for (const offer of confirmed) this.publishLive(offer);
  }

  private publishLive(offer: ImageOffer): void {
    this.live.publish({
      type: 'deployment.target-progress',
      companyId: offer.companyId,
      data: {
        deploymentId: offer.deploymentId,
        gatewayId: offer.gatewayId,
        version: offer.version,
        state: offer.state,
        bytes: offer.bytes,
        size: offer.size,
        reason: offer.reason,
      },
    });
  }

  /** The image a deployment offers (immutable, so kept once found); null for a deployment without v2 targets. */
  private imageOf(deploymentId: string): Promise<string | null> {
    const known = this.images.get(deploymentId);
    if (known !== undefined) return known;
    const image = this.offers
      .findOne({ deploymentId }, { sha256: 1 })
      .lean<Pick<ImageOffer, 'sha256'>>()
      .then((offer) => offer?.sha256 ?? null);
    // Only a found image is kept: a deployment without offers yet may get them.
    void image.then(
      (sha256) => sha256 === null && this.images.get(deploymentId) === image && this.images.delete(deploymentId),
      () => this.images.get(deploymentId) === image && this.images.delete(deploymentId),
    );
    if (this.images.size >= MAX_KNOWN_DEPLOYMENTS) this.images.clear();
    this.images.set(deploymentId, image);
    return image;
  }

  /** True the first time a final report for this target arrives here. */
  private markFinalReport(key: string): boolean {
    if (this.finalReports.has(key)) return false;
    if (this.finalReports.size >= MAX_THROTTLED_TARGETS) this.finalReports.clear();
    this.finalReports.add(key);
    return true;
  }

  private refuse(reason: string, gatewayId: string, message: string): void {
    this.refused.inc({ reason });
    this.logger.debug(`Gateway ${gatewayId}: progress refused (${reason}): ${message}`);
  }
}

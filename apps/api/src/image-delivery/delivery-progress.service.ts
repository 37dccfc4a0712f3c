import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isTerminalProgressState, TERMINAL_PROGRESS_STATES, type Progress, type ProgressState } from '@upgrade-manager/protocol-v2';
import type { Model } from 'mongoose';
import type { Counter } from 'prom-client';
import { DeploymentTracker, type TargetChange } from '../deployments/deployment-tracker.service';
import { transitionOnReport } from '../deployments/target-outcome';
import { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { ImageDeliveryService } from './image-delivery.service';
import { ImageOffer, OFFER_STATES, offerId, type OfferState } from './image-offer.schema';
import { KeyedSerial } from './keyed-serial';
import { TokenBuckets } from './token-buckets';

// `downloading` reports come about once a second per gateway; one write per this interval is enough.
const DOWNLOADING_WRITE_INTERVAL_MS = 2_000;
const MAX_THROTTLED_TARGETS = 100_000;
const MAX_KNOWN_DEPLOYMENTS = 10_000;
const PROGRESS_PER_S = 5;
const PROGRESS_BURST = 10;
// A final report is written again after a failed write (a busy database), this many times in all.
const FINAL_WRITE_ATTEMPTS = 4;
const FINAL_WRITE_RETRY_MS = 250;
// Offers ended at once when many targets are decided together (a fleet's time-out).
const END_OFFERS_AT_ONCE = 50;

/**
 * The stored states a report may replace: earlier ones and its own (bytes move on), never a
 * later one, so a report handled late cannot undo a later state (`installing` after `succeeded`).
 */
function statesReplacedBy(state: ProgressState): OfferState[] {
  const open = OFFER_STATES.filter((stored) => !(TERMINAL_PROGRESS_STATES as readonly string[]).includes(stored));
  return isTerminalProgressState(state) ? open : open.slice(0, open.indexOf(state) + 1);
}

/**
 * Upgrade Progress from protocol-v2 gateways: the latest state and bytes per target (a
 * conditional write: an ended offer never changes again, a state never goes back), live to web
 * users, and `failed` or `rejected` fail the deployment target with the gateway's reason in the
 * event log. A gateway's writes run one at a time: FerretDB may let two concurrent conditional
 * updates of one document both match, and the later write would win whatever its state.
 */
@Injectable()
export class DeliveryProgressService {
  private readonly logger = new Logger(DeliveryProgressService.name);
  private readonly lastWrite = new Map<string, number>();
  private readonly finalReports = new Set<string>();
  private readonly images = new Map<string, string>();
  // Each report may cost a write: a gateway reports about once a second, never needs ten.
  private readonly buckets = new TokenBuckets(PROGRESS_PER_S, PROGRESS_BURST);
  private readonly serial = new KeyedSerial();
  private readonly refused: Counter<'reason'>;
  private readonly reports: Counter<'state'>;

  constructor(
    @InjectModel(ImageOffer.name) private readonly offers: Model<ImageOffer>,
    private readonly delivery: ImageDeliveryService,
    private readonly tracker: DeploymentTracker,
    private readonly live: LiveEventsService,
    metrics: MetricsService,
  ) {
    this.refused = metrics.counter({
      name: 'um_v2_progress_refused_total',
      help: 'Upgrade Progress reports (protocol v2) refused, by reason',
      labelNames: ['reason'],
    });
    this.reports = metrics.counter({ name: 'um_v2_progress_total', help: 'Upgrade Progress reports (protocol v2) applied, by state', labelNames: ['state'] });
    tracker.onDecisions((changes) => this.endOffers(changes));
  }

  /** A report decoded by its route (GatewayMessageRouter). */
  async receive(gatewayId: string, progress: Progress): Promise<void> {
    const key = `${progress.deploymentId}:${gatewayId}`;
    // A target's final report is never lost to the rate limit (its burst may be spent on the states
    // just before it); only its first one passes free, so repeating it cannot flood the database.
    const firstFinalReport = isTerminalProgressState(progress.state) && this.markFinalReport(key);
    if (!firstFinalReport && !this.buckets.take(gatewayId)) return this.refuse('rate-limited', gatewayId, 'too many progress reports');
    const now = Date.now();
    if (progress.state === 'downloading' && now - (this.lastWrite.get(key) ?? 0) < DOWNLOADING_WRITE_INTERVAL_MS) return;
    if (this.lastWrite.size >= MAX_THROTTLED_TARGETS) this.lastWrite.clear();
    this.lastWrite.set(key, now);

    const sha256 = await this.imageOf(progress.deploymentId);
    const offer = sha256 === null ? null : await this.serial.run(gatewayId, () => this.record(sha256, gatewayId, progress));
    if (!offer) return this.refuse('not-offered', gatewayId, `progress for deployment ${progress.deploymentId}, which has no open offer for it`);
    this.reports.inc({ state: progress.state });
    this.publishLive(offer);
    if (!isTerminalProgressState(progress.state)) return;
    this.lastWrite.delete(key);
    this.delivery.forget(gatewayId, offer.sha256);
    const transition = transitionOnReport(progress);
    if (transition) {
      this.logger.warn(`Gateway ${gatewayId}: deployment ${progress.deploymentId} ${progress.state}: ${progress.reason ?? ''}`);
      await this.tracker.decideReported(progress.deploymentId, gatewayId, transition);
    }
  }

  /** Writes the report unless the offer ended, was closed, or holds a later state; the offer as written, or null. */
  private async record(sha256: string, gatewayId: string, progress: Progress): Promise<ImageOffer | null> {
    const set: Record<string, unknown> = { state: progress.state, reason: progress.reason };
    if (progress.bytes !== null) set['bytes'] = progress.bytes;
    const write = () =>
      this.offers
        // By _id: the one lookup FerretDB indexes. (No projection: FerretDB's findAndModify has none.)
        .findOneAndUpdate(
          { _id: offerId(sha256, gatewayId), deploymentId: progress.deploymentId, closedReason: null, state: { $in: statesReplacedBy(progress.state) } },
          { $set: set },
          { new: true },
        )
        .lean<ImageOffer>();
    // The final report is the one that must never be lost to a busy database.
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isTerminalProgressState(progress.state) || attempt >= FINAL_WRITE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, FINAL_WRITE_RETRY_MS * attempt));
      }
    }
  }

  /**
   * Called by the tracker before it records decided targets. A confirmed v2 target's offer ends
   * as succeeded (its gateway sends the new version only after `succeeded`, whose report may
   * still be on its way or lost), so a confirmed target always shows a final state; a failed
   * target's open offer is closed, so no more chunks are served for it.
   */
  async endOffers(changes: readonly TargetChange[]): Promise<void> {
    const v2 = changes.filter(({ target }) => target.protocol === 2);
    for (let offset = 0; offset < v2.length; offset += END_OFFERS_AT_ONCE) {
      await Promise.all(v2.slice(offset, offset + END_OFFERS_AT_ONCE).map((change) => this.endOffer(change)));
    }
  }

  private async endOffer({ target, status, reason }: TargetChange): Promise<void> {
    const { deploymentId, gatewayId } = target;
    const sha256 = await this.imageOf(deploymentId);
    if (sha256 === null) return;
    const open = { _id: offerId(sha256, gatewayId), deploymentId, state: { $nin: TERMINAL_PROGRESS_STATES } };
    const ended = await this.serial.run(gatewayId, () =>
      status === 'confirmed'
        ? this.offers.findOneAndUpdate(open, { $set: { state: 'succeeded', reason: null } }, { new: true }).lean<ImageOffer>()
        : this.offers.findOneAndUpdate({ ...open, closedReason: null }, { $set: { closedReason: reason ?? status } }, { new: true }).lean<ImageOffer>(),
    );
    if (!ended) return;
    this.delivery.forget(gatewayId, sha256);
    if (status === 'confirmed') this.publishLive(ended);
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
  private async imageOf(deploymentId: string): Promise<string | null> {
    const known = this.images.get(deploymentId);
    if (known !== undefined) return known;
    const offer = await this.offers.findOne({ deploymentId }, { sha256: 1 }).lean<Pick<ImageOffer, 'sha256'>>();
    if (!offer) return null;
    if (this.images.size >= MAX_KNOWN_DEPLOYMENTS) this.images.clear();
    this.images.set(deploymentId, offer.sha256);
    return offer.sha256;
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

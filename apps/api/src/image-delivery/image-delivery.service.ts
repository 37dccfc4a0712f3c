import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { TargetDeliveryDto } from '@upgrade-manager/dto';
import { encodeFrame, frameParts } from '@upgrade-manager/frame-codec';
import {
  chunkCountOf,
  encodeChunkHeader,
  encodeOffer,
  sharedChunkTopic,
  TERMINAL_PROGRESS_STATES,
  toGatewayV2Topic,
  ToGatewayV2MessageType,
  type ChunkRequest,
} from '@upgrade-manager/protocol-v2';
import type { Connection, Model } from 'mongoose';
import type { Counter, Gauge } from 'prom-client';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
import { Gateway } from '../gateways/gateway.schema';
import { MetricsService } from '../metrics/metrics.service';
import { FramePublisher } from '../mqtt/frame-publisher.service';
import { VersionsService, type SignedImage } from '../versions/versions.service';
import { GridChunkReader } from './grid-chunk-reader';
import { ImageOffer, offerId } from './image-offer.schema';
import { MAX_V1_IMAGE_BYTES } from './mqtt-packet-limit';
import { streamChunks } from './shared-chunk-stream';
import { TokenBuckets } from './token-buckets';

export interface OfferTarget {
  gatewayId: string;
  companyId: string;
}

const ID_LIST_QUERY_MAX = 100;
/** Chunks answered per request; a gateway asks again for the rest. */
export const MAX_CHUNKS_PER_REQUEST = 256;
const REQUESTS_PER_S = 10;
const REQUEST_BURST = 20;
// How long a looked-up offer (or its absence) is trusted before the database is asked again.
const OFFER_LOOKUP_TTL_MS = 2_000;
const MAX_CACHED_LOOKUPS = 10_000;
// Targets need a moment to subscribe to the shared stream after their Offer.
const SHARED_STREAM_DELAY_MS = 1_000;
/** A deployment to at least this many v2 gateways also streams the image on its shared topic. */
export const SHARED_STREAM_MIN_TARGETS = 2;

type OpenOffer = Pick<ImageOffer, 'deploymentId' | 'chunkCount' | 'chunkSize' | 'size' | 'sha256' | 'fileId' | 'state' | 'closedReason'>;

/**
 * Protocol v2, cloud side of the delivery: signed Offers to the v2 targets of a deployment, the
 * shared chunk stream of a rollout, and the answers to chunk requests, read from GridFS by range
 * without holding the image. Every refusal is counted by reason.
 */
@Injectable()
export class ImageDeliveryService implements OnApplicationShutdown {
  private readonly logger = new Logger(ImageDeliveryService.name);
  private readonly reader: GridChunkReader;
  private readonly buckets = new TokenBuckets(REQUESTS_PER_S, REQUEST_BURST);
  private readonly lookups = new Map<string, { at: number; offer: Promise<OpenOffer | null> }>();
  private readonly streaming = new Set<string>();
  private stopping = false;
  private readonly refused: Counter<'reason'>;
  private readonly chunksSent: Counter<'topic'>;
  private readonly offers: Counter;

  constructor(
    @InjectModel(ImageOffer.name) private readonly offerModel: Model<ImageOffer>,
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    @InjectConnection() connection: Connection,
    private readonly versions: VersionsService,
    private readonly publisher: FramePublisher,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.reader = new GridChunkReader(() => {
      if (!connection.db) throw new DomainError(DomainErrorCode.UNAVAILABLE, 'The database is not connected');
      return connection.db;
    }, config.get('CHUNK_CACHE_BYTES'));
    this.refused = metrics.counter({
      name: 'um_v2_chunk_requests_refused_total',
      help: 'Chunk requests (protocol v2) refused, by reason',
      labelNames: ['reason'],
    });
    this.chunksSent = metrics.counter({
      name: 'um_v2_chunks_sent_total',
      help: 'Image chunks published (protocol v2), per-gateway or shared',
      labelNames: ['topic'],
    });
    this.offers = metrics.counter({ name: 'um_v2_offers_total', help: 'Upgrade Offers sent to protocol-v2 gateways' });
    const cached: Gauge = metrics.gauge({
      name: 'um_v2_chunk_cache_bytes',
      help: 'Bytes of image chunks held to answer chunk requests',
      collect: () => cached.set(this.reader.cachedBytes),
    });
  }

  /** Of these gateways, the ones whose latest Status announced protocol v2. */
  async protocolV2Gateways(gatewayIds: readonly string[]): Promise<Set<string>> {
    if (gatewayIds.length === 0) return new Set();
    const wanted = new Set(gatewayIds);
    // A short list by _id (the lookup FerretDB indexes); a fleet by one pass over the v2 gateways.
    const filter = gatewayIds.length <= ID_LIST_QUERY_MAX ? { _id: { $in: gatewayIds }, protocol: 2 } : { protocol: 2 };
    const speakers = await this.gateways.find(filter, { _id: 1 }).lean<{ _id: string }[]>();
    return new Set(speakers.map((gateway) => gateway._id).filter((id) => wanted.has(id)));
  }

  /** Throws a clear 400 when a v1 Upgrade of `size` bytes cannot fit one MQTT packet. */
  assertFitsV1(version: string, size: number, v1GatewayIds: readonly string[]): void {
    if (v1GatewayIds.length === 0 || size <= MAX_V1_IMAGE_BYTES) return;
    throw new DomainError(
      DomainErrorCode.INVALID_INPUT,
      `Version ${version} has ${size} bytes, more than one MQTT message can carry (${MAX_V1_IMAGE_BYTES}) as a protocol v1 Upgrade; ` +
        `${v1GatewayIds.length} target(s) speak only v1 (${v1GatewayIds.slice(0, 5).join(', ')}). Deploy it to protocol-v2 gateways only.`,
      { gatewayIds: v1GatewayIds.slice(0, 100) },
    );
  }

  /** Records an open offer per target, sends each its signed Offer, and streams the chunks once for a fleet. */
  async offer(deploymentId: string, version: string, targets: readonly OfferTarget[]): Promise<void> {
    if (targets.length === 0) return;
    const image = await this.versions.signedImage(version);
    const chunkSize = this.config.get('CHUNK_SIZE_BYTES');
    const chunkCount = chunkCountOf(image.size, chunkSize);
    const shared = targets.length >= SHARED_STREAM_MIN_TARGETS;
    await chunkedBulkWrite(
      this.offerModel,
      targets.map(({ gatewayId, companyId }) => ({
        replaceOne: {
          filter: { _id: offerId(image.sha256, gatewayId) },
          replacement: {
            _id: offerId(image.sha256, gatewayId),
            deploymentId,
            gatewayId,
            companyId,
            version,
            sha256: image.sha256,
            size: image.size,
            chunkSize,
            chunkCount,
            fileId: image.fileId,
            state: 'offered',
            bytes: 0,
            reason: null,
          },
          upsert: true,
        },
      })),
    );
    for (const { gatewayId } of targets) this.lookups.delete(offerId(image.sha256, gatewayId));
    const frame = encodeFrame(
      encodeOffer({
        deploymentId,
        version,
        size: image.size,
        sha256: image.sha256,
        chunkSize,
        chunkCount,
        keyId: image.keyId,
        signature: Buffer.from(image.signature, 'base64'),
        shared,
      }),
    );
    await Promise.all(targets.map(({ gatewayId }) => this.publisher.publish(toGatewayV2Topic(ToGatewayV2MessageType.Offer, gatewayId), frame)));
    this.offers.inc(targets.length);
    this.logger.log(
      `Deployment ${deploymentId}: offered ${version} (${image.size} bytes, ${chunkCount} chunks of ${chunkSize}) to ${targets.length} v2 gateway(s)${shared ? ', streaming it once on the shared topic' : ''}`,
    );
    if (shared) this.startSharedStream(image, chunkSize, chunkCount);
  }

  /** Request Chunks from a gateway: answered chunk by chunk on its own topic, or refused and counted. */
  /** A request decoded by its route (GatewayMessageRouter). */
  async receiveChunkRequest(gatewayId: string, request: ChunkRequest): Promise<void> {
    if (!this.buckets.take(gatewayId)) return this.refuse('rate-limited', gatewayId, 'too many chunk requests');
    const offer = await this.openOffer(gatewayId, request.sha256);
    if (offer === null) return this.refuse('not-offered', gatewayId, `asked for chunks of image ${request.sha256}, which it was not offered`);
    const last = request.ranges.at(-1);
    if (last && last.first + last.count > offer.chunkCount)
      return this.refuse('bad-range', gatewayId, `asked for chunks up to ${last.first + last.count - 1} of ${offer.chunkCount}`);

    const topic = toGatewayV2Topic(ToGatewayV2MessageType.Chunk, gatewayId);
    let budget = MAX_CHUNKS_PER_REQUEST;
    for (const { first, count } of request.ranges) {
      for (let index = first; index < first + count && budget > 0; index++, budget--) {
        if (this.stopping) return;
        await this.publisher.publish(topic, await this.chunkFrame(offer, index), { qos: 0 });
        this.chunksSent.inc({ topic: 'gateway' });
      }
    }
  }

  /** The open offer of this image to this gateway, or null; cached briefly, since gateways ask often. */
  openOffer(gatewayId: string, sha256: string): Promise<OpenOffer | null> {
    const id = offerId(sha256, gatewayId);
    const cached = this.lookups.get(id);
    if (cached && Date.now() - cached.at < OFFER_LOOKUP_TTL_MS) return cached.offer;
    const offer = this.offerModel
      .findOne({ _id: id }, { deploymentId: 1, chunkCount: 1, chunkSize: 1, size: 1, sha256: 1, fileId: 1, state: 1, closedReason: 1 })
      .lean<OpenOffer>()
      .then((found) => (found && !found.closedReason && !(TERMINAL_PROGRESS_STATES as readonly string[]).includes(found.state) ? found : null));
    offer.catch(() => this.lookups.delete(id));
    if (this.lookups.size >= MAX_CACHED_LOOKUPS) this.lookups.clear();
    this.lookups.set(id, { at: Date.now(), offer });
    return offer;
  }

  /** The latest state of each v2 target of a deployment, for the deployment view. */
  async progressOf(deploymentId: string): Promise<Map<string, TargetDeliveryDto>> {
    const offers = await this.offerModel
      .find({ deploymentId }, { gatewayId: 1, state: 1, bytes: 1, size: 1, reason: 1 })
      .lean<Pick<ImageOffer, 'gatewayId' | 'state' | 'bytes' | 'size' | 'reason'>[]>();
    return new Map(offers.map(({ gatewayId, state, bytes, size, reason }) => [gatewayId, { protocol: 2, state, bytes, size, reason }]));
  }

  /** Forgets a cached lookup, e.g. once an offer ended. */
  forget(gatewayId: string, sha256: string): void {
    this.lookups.delete(offerId(sha256, gatewayId));
  }

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  private async chunkFrame(offer: Pick<OpenOffer, 'sha256' | 'fileId' | 'size' | 'chunkSize'>, index: number): Promise<Buffer> {
    const start = index * offer.chunkSize;
    const data = await this.reader.read(offer.fileId, start, Math.min(offer.size, start + offer.chunkSize));
    const payload = Buffer.concat([encodeChunkHeader(offer.sha256, index), data]);
    const [header] = frameParts(payload);
    return Buffer.concat([header, payload]);
  }

  private startSharedStream(image: SignedImage, chunkSize: number, chunkCount: number): void {
    // One stream per image per process: a second deployment of it meanwhile rides on the first.
    if (this.streaming.has(image.sha256)) return;
    this.streaming.add(image.sha256);
    const topic = sharedChunkTopic(image.sha256);
    const offer = { sha256: image.sha256, fileId: image.fileId, size: image.size, chunkSize };
    const run = async () => {
      await new Promise((resolve) => setTimeout(resolve, SHARED_STREAM_DELAY_MS));
      const sent = await streamChunks(
        {
          chunkCount,
          frame: (index) => this.chunkFrame(offer, index),
          publish: async (frame) => {
            await this.publisher.publish(topic, frame, { qos: 0 });
            this.chunksSent.inc({ topic: 'shared' });
          },
        },
        this.config.get('CHUNK_STREAM_BYTES_PER_S'),
        () => this.stopping,
      );
      this.logger.log(`Shared stream of ${image.version}: ${sent} of ${chunkCount} chunks sent`);
    };
    run()
      .catch((error: Error) => this.logger.error(`Shared stream of ${image.version} stopped: ${error.message}; targets request what they lack`))
      .finally(() => this.streaming.delete(image.sha256));
  }

  private refuse(reason: string, gatewayId: string, message: string): void {
    this.refused.inc({ reason });
    // Debug only: a misbehaving gateway must not flood the log; the counter shows it.
    this.logger.debug(`Gateway ${gatewayId}: chunk request refused (${reason}): ${message}`);
  }
}

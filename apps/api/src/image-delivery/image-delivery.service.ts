import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { TargetDeliveryDto } from '@upgrade-manager/dto';
import { encodeFrame, encodeFrameHeader, HEADER_LENGTH, payloadCrc32 } from '@upgrade-manager/frame-codec';
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
import { GatewaysStore } from '../gateways/gateways.store';
import { MetricsService } from '../metrics/metrics.service';
import { FramePublisher } from '../mqtt/frame-publisher.service';
import { VersionsService, type SignedImage } from '../versions/versions.service';
import { GridChunkReader } from './grid-chunk-reader';
import { ImageOffer, offerId } from './image-offer.schema';
import { MAX_V1_IMAGE_BYTES } from './mqtt-packet-limit';
import { ReceiverPacer, type ReceiverReport } from './receiver-pacer';
import { streamChunks } from './shared-chunk-stream';
import { TokenBuckets } from './token-buckets';

export interface OfferTarget {
  gatewayId: string;
  companyId: string;
}

/** Chunks answered per request; a gateway asks again for the rest. */
export const MAX_CHUNKS_PER_REQUEST = 256;
export const CHUNK_REQUESTS_PER_S = 10;
export const CHUNK_REQUEST_BURST = 20;
export const CHUNK_REQUESTS_REFUSED = {
  name: 'um_v2_chunk_requests_refused_total',
  help: 'Chunk requests (protocol v2) refused, by reason',
  labelNames: ['reason'],
} as const;
// How long a looked-up offer (or its absence) is trusted before the database is asked again.
const OFFER_LOOKUP_TTL_MS = 2_000;
const MAX_CACHED_LOOKUPS = 10_000;
// The shared stream: how often it reads the targets' reports, how long its first chunk waits for
// all targets to say they listen, and how far it may run ahead of them (receiver-pacer.ts).
const SHARED_STREAM_POLL_MS = 1_000;
const SHARED_STREAM_START_WAIT_MS = 20_000;
const SHARED_STREAM_STALL_MS = 10_000;
const SHARED_STREAM_BUDGET_BYTES = 256 * 1024 * 1024;
const SHARED_STREAM_MAX_WINDOW_BYTES = 32 * 1024 * 1024;
// At least 1 MiB per target (what a v1 list rollout of a 1 MiB image holds for each anyway), so a
// small image to a large fleet goes out in one go instead of one report round trip per few chunks.
const SHARED_STREAM_MIN_WINDOW_BYTES = 1024 * 1024;
const SHARED_STREAM_MIN_WINDOW_CHUNKS = 4;
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
  private readonly buckets = new TokenBuckets(CHUNK_REQUESTS_PER_S, CHUNK_REQUEST_BURST);
  private readonly lookups = new Map<string, { at: number; offer: Promise<OpenOffer | null> }>();
  private readonly streaming = new Set<string>();
  private stopping = false;
  private readonly refused: Counter<'reason'>;
  private readonly chunksSent: Counter<'topic'>;
  private readonly offers: Counter;

  constructor(
    @InjectModel(ImageOffer.name) private readonly offerModel: Model<ImageOffer>,
    private readonly gateways: GatewaysStore,
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
    this.refused = metrics.counter(CHUNK_REQUESTS_REFUSED);
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
  protocolV2Gateways(gatewayIds: readonly string[]): Promise<Set<string>> {
    return this.gateways.protocolV2Among(gatewayIds);
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
    // No chunk can be served before the layout is known: the targets' waits start once it is.
    await this.reader.prepare(image.fileId);
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
    if (shared) this.startSharedStream(deploymentId, image, chunkSize, chunkCount);
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
    const chunkHeader = encodeChunkHeader(offer.sha256, index);
    // The frame is built in one buffer (a 1 GiB rollout makes thousands of them): frame header, chunk header, data.
    const frame = Buffer.allocUnsafe(HEADER_LENGTH + chunkHeader.byteLength + data.byteLength);
    chunkHeader.copy(frame, HEADER_LENGTH);
    data.copy(frame, HEADER_LENGTH + chunkHeader.byteLength);
    const payload = frame.subarray(HEADER_LENGTH);
    encodeFrameHeader({ timestampSeconds: Math.floor(Date.now() / 1000), payloadLength: payload.byteLength, crc: payloadCrc32(payload) }).copy(frame, 0);
    return frame;
  }

  private startSharedStream(deploymentId: string, image: SignedImage, chunkSize: number, chunkCount: number): void {
    // One stream per image per process: a second deployment of it meanwhile rides on the first.
    if (this.streaming.has(image.sha256)) return;
    this.streaming.add(image.sha256);
    const topic = sharedChunkTopic(image.sha256);
    const offer = { sha256: image.sha256, fileId: image.fileId, size: image.size, chunkSize };
    const pacer = new ReceiverPacer({
      stallMs: SHARED_STREAM_STALL_MS,
      budgetBytes: SHARED_STREAM_BUDGET_BYTES,
      minWindowBytes: Math.max(SHARED_STREAM_MIN_WINDOW_BYTES, SHARED_STREAM_MIN_WINDOW_CHUNKS * chunkSize),
      maxWindowBytes: SHARED_STREAM_MAX_WINDOW_BYTES,
    });
    const run = async () => {
      const began = Date.now();
      const { sent, ended } = await streamChunks(
        {
          chunkCount,
          chunkSize,
          size: image.size,
          frame: (index) => this.chunkFrame(offer, index),
          publish: async (frame) => {
            await this.publisher.publish(topic, frame, { qos: 0 });
            this.chunksSent.inc({ topic: 'shared' });
          },
          reports: () => this.receiverReports(deploymentId),
        },
        { bytesPerS: this.config.get('CHUNK_STREAM_BYTES_PER_S'), pollMs: SHARED_STREAM_POLL_MS, startWaitMs: SHARED_STREAM_START_WAIT_MS, pacer },
        () => this.stopping,
      );
      this.logger.log(`Shared stream of ${image.version}: ${sent} of ${chunkCount} chunks sent in ${((Date.now() - began) / 1000).toFixed(1)} s (${ended})`);
    };
    run()
      .catch((error: Error) => this.logger.error(`Shared stream of ${image.version} stopped: ${error.message}; targets request what they lack`))
      .finally(() => this.streaming.delete(image.sha256));
  }

  /** The latest stored report of each target of a deployment, for the shared stream's pacing. */
  private receiverReports(deploymentId: string): Promise<ReceiverReport[]> {
    return this.offerModel.find({ deploymentId, closedReason: null }, { _id: 0, gatewayId: 1, state: 1, bytes: 1 }).lean<ReceiverReport[]>();
  }

  private refuse(reason: string, gatewayId: string, message: string): void {
    this.refused.inc({ reason });
    // Debug only: a misbehaving gateway must not flood the log; the counter shows it.
    this.logger.debug(`Gateway ${gatewayId}: chunk request refused (${reason}): ${message}`);
  }
}

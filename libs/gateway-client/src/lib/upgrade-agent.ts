import { decodeFrame, encodeFrame, FrameDecodeError } from '@upgrade-manager/frame-codec';
import {
  decodeChunk,
  decodeOffer,
  encodeChunkRequest,
  encodeProgress,
  manifestOf,
  missingRanges,
  parseV2Topic,
  ProtocolV2Error,
  sharedChunkTopic,
  toCloudV2Topic,
  ToCloudV2MessageType,
  toGatewayV2Topic,
  ToGatewayV2MessageType,
  truncateReason,
  verifyManifest,
  type Offer,
  type ProgressState,
  type TrustedKeys,
} from '@upgrade-manager/protocol-v2';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Installer } from './command-installer';
import { ChunkBitmap, loadDownload, loadEnded, saveDownload, saveEnded, STATE_FILE, stagingPath, type EndedDelivery } from './download-state';

/** How the agent talks to the broker; GatewayClient provides one (`agentTransport`). */
export interface AgentTransport {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  subscribe(topics: string[]): Promise<void>;
  unsubscribe(topics: string[]): Promise<void>;
}

export interface UpgradeAgentOptions {
  gatewayId: string;
  /** Where the staging file and the download state live (kept across restarts). */
  stateDir: string;
  trustedKeys: TrustedKeys;
  transport: AgentTransport;
  installer: Installer;
  /** After `succeeded`: the gateway now runs `version` (send Status with it). */
  onInstalled?: (version: string) => Promise<void>;
  /** Test aid: once this many bytes were received in this run, the state is saved and `onExitAfterBytes` is called. */
  exitAfterBytes?: number;
  onExitAfterBytes?: () => void;
  /** Test aid: share (0..1) of received chunks dropped as if lost. */
  dropRate?: number;
  random?: () => number;
  /**
   * With a shared stream, the agent asks only for the chunks the stream has passed (lost on the
   * way) while it flows; for all it lacks once no shared chunk came for this long (30000 ms) ...
   */
  idleMs?: number;
  /** ... or, before the first shared chunk, this long after the Offer (60000 ms: the stream waits for all targets to listen). */
  firstSharedWaitMs?: number;
  /** A chunk asked for and not received within this long is asked for again (5000 ms). */
  requestTimeoutMs?: number;
  /** Chunks asked for and not yet received, at most (64). */
  windowChunks?: number;
  tickMs?: number;
  /** How often the chunk bitmap is saved (after a data sync) while downloading (1000 ms). */
  saveIntervalMs?: number;
}

export interface AgentStats {
  /** Chunk bytes received in this run, dropped ones included. */
  receivedBytes: number;
  droppedChunks: number;
  requests: number;
}

export interface UpgradeAgentEvents {
  progress: [{ deploymentId: string; state: ProgressState; bytes: number | null; reason: string | null }];
  /** Something went wrong that the agent survives (a failed publish, a full disk); it retries. */
  problem: [Error];
}

interface Download {
  offer: Offer;
  bitmap: ChunkBitmap;
  file: FileHandle;
  bytes: number;
  inflight: Map<number, number>;
  /** Received, being written: neither asked for again nor accepted twice. */
  writing: Set<number>;
  /** When the last shared chunk came; null before the first one. */
  lastSharedAt: number | null;
  /** One past the highest chunk index the shared stream brought: below it, a missing chunk was lost. */
  sharedPassed: number;
  startedAt: number;
  lastReportAt: number;
  /** Bytes of the last `downloading` report. */
  reportedBytes: number;
  lastSaveAt: number;
  writes: Promise<void>;
  finishing: boolean;
}

const REPORT_INTERVAL_MS = 1_000;
// The shared stream pauses while it waits for its slowest target's next report (a few seconds), and
// up to 10 s and a report's way more for a target that stalled; meanwhile only what it passed is
// asked for, so waiting longer costs little.
const SHARED_IDLE_MS = 30_000;
// The stream starts once every target said it listens (up to 20 s) and its first chunk was read.
const FIRST_SHARED_WAIT_MS = 60_000;
const SAVE_INTERVAL_MS = 1_000;
const FINAL_REPORT_RETRY_MS = 1_000;
const FINAL_REPORT_RETRY_MAX_MS = 30_000;

/**
 * The gateway side of protocol v2 (docs/protocol-v2.md), for real devices and the simulator:
 * checks the Offer's signature against trusted keys, downloads chunks into a staging file,
 * keeps which chunks it has on disk (a restart asks only for the rest), verifies the SHA-256,
 * installs through an Installer, and reports every state. Never installs what does not verify.
 */
export class UpgradeAgent extends EventEmitter<UpgradeAgentEvents> {
  readonly stats: AgentStats = { receivedBytes: 0, droppedChunks: 0, requests: 0 };
  private download: Download | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private exitSignalled = false;
  private ticking = false;
  private queue: Promise<void> = Promise.resolve();
  // Saving and clearing the state file, one at a time: a late save must never revive a cleared download.
  private disk: Promise<void> = Promise.resolve();
  private readonly random: () => number;
  private installed: string | null = null;
  // Ends the wait between two attempts of a final report, so that stop() never waits for it.
  private wake: (() => void) | null = null;

  constructor(private readonly options: UpgradeAgentOptions) {
    super();
    this.random = options.random ?? Math.random;
  }

  /** The per-gateway topics the agent needs (the offer and requested chunks). */
  get topics(): string[] {
    return [toGatewayV2Topic(ToGatewayV2MessageType.Offer, this.options.gatewayId), toGatewayV2Topic(ToGatewayV2MessageType.Chunk, this.options.gatewayId)];
  }

  /** The version the last delivery installed (known after `start()`), or null. */
  get installedVersion(): string | null {
    return this.installed;
  }

  /**
   * Subscribes, sends a final report an earlier run could not hand to the broker, resumes a
   * download left by an earlier run, and starts the request timer.
   */
  async start(): Promise<void> {
    await mkdir(this.options.stateDir, { recursive: true });
    await this.options.transport.subscribe(this.topics);
    await this.serially(async () => {
      const ended = await loadEnded(this.options.stateDir);
      this.installed = ended?.installedVersion ?? null;
      if (ended && ended.reported === false) void this.serially(() => this.reportEnded(ended));
      const saved = await loadDownload(this.options.stateDir);
      if (saved) await this.begin(saved.offer, saved.bitmap, true);
    });
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 250);
  }

  /** Saves progress and stops; the download resumes on the next `start()`. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.wake?.();
    await this.queue;
    const download = this.download;
    if (download && !download.finishing) {
      await download.writes;
      await this.save(download);
      await download.file.close().catch(() => undefined);
    }
  }

  /** Feeds one received MQTT message; returns false for a topic that is not the agent's. */
  handle(topic: string, bytes: Buffer): boolean {
    const parsed = parseV2Topic(topic);
    if (parsed === null || parsed.direction !== 'toGateway') return false;
    if (this.stopped) return true;
    let payload: Buffer;
    try {
      payload = decodeFrame(bytes).payload;
    } catch (error) {
      if (error instanceof FrameDecodeError) return true;
      throw error;
    }
    if (parsed.type === ToGatewayV2MessageType.Offer) void this.serially(() => this.onOffer(payload));
    else this.onChunk(payload, parsed.type !== ToGatewayV2MessageType.Chunk);
    return true;
  }

  // Offers, completion and installation run one at a time.
  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work).catch((error: unknown) => {
      this.emit('problem', error instanceof Error ? error : new Error(String(error)));
    });
    this.queue = run;
    return run;
  }

  private async onOffer(payload: Buffer): Promise<void> {
    let offer: Offer;
    try {
      offer = decodeOffer(payload);
    } catch (error) {
      if (error instanceof ProtocolV2Error) return;
      throw error;
    }
    const problem = this.signatureProblem(offer);
    if (problem) {
      await this.end(offer, 'rejected', problem);
      return;
    }
    const ended = await loadEnded(this.options.stateDir);
    if (ended && ended.deploymentId === offer.deploymentId && ended.sha256 === offer.sha256) {
      // The same Offer again (redelivered): say how it ended instead of installing twice.
      await this.report(offer.deploymentId, ended.state, null, ended.reason);
      return;
    }
    const current = this.download;
    if (current && current.offer.sha256 === offer.sha256) {
      current.offer = offer;
      await this.save(current);
      await this.report(offer.deploymentId, 'downloading', current.bytes);
      return;
    }
    if (current) await this.discard(current);
    await this.begin(offer, new ChunkBitmap(offer.chunkCount));
  }

  private signatureProblem(offer: Offer): string | null {
    const key = this.options.trustedKeys.get(offer.keyId);
    if (!key) return `signing key ${offer.keyId} is not trusted`;
    if (!verifyManifest(manifestOf(offer), offer.signature, key)) return `signature does not verify with key ${offer.keyId}`;
    return null;
  }

  private async begin(offer: Offer, bitmap: ChunkBitmap, resumed = false): Promise<void> {
    const path = stagingPath(this.options.stateDir, offer.sha256);
    const file = await open(path, 'a+').then(async (handle) => {
      await handle.close();
      return open(path, 'r+');
    });
    if ((await file.stat()).size !== offer.size) await file.truncate(offer.size);
    let bytes = 0;
    for (let i = 0; i < offer.chunkCount; i++) if (bitmap.has(i)) bytes += this.chunkLength(offer, i);
    const now = Date.now();
    const download: Download = {
      offer,
      bitmap,
      file,
      bytes,
      inflight: new Map(),
      writing: new Set(),
      // A resumed download's stream may be long over: it waits only as after a chunk. Asking at once
      // would fetch what a stream that waits for this target re-sends once it moves on (duplicates).
      lastSharedAt: resumed ? now : null,
      sharedPassed: 0,
      startedAt: now,
      lastReportAt: now,
      reportedBytes: bytes,
      lastSaveAt: now,
      writes: Promise.resolve(),
      finishing: false,
    };
    this.download = download;
    await this.save(download);
    if (offer.shared) await this.options.transport.subscribe([sharedChunkTopic(offer.sha256)]);
    await this.report(offer.deploymentId, 'downloading', bytes);
    // Complete already (a restart after the last chunk), unless chunks that came meanwhile completed it.
    if (bitmap.complete && !download.finishing) {
      download.finishing = true;
      void this.serially(() => this.finish(download));
    }
  }

  private chunkLength(offer: Offer, index: number): number {
    return index === offer.chunkCount - 1 ? offer.size - (offer.chunkCount - 1) * offer.chunkSize : offer.chunkSize;
  }

  private onChunk(payload: Buffer, shared: boolean): void {
    const download = this.download;
    if (!download || download.finishing) return;
    let chunk;
    try {
      chunk = decodeChunk(payload);
    } catch (error) {
      if (error instanceof ProtocolV2Error) return;
      throw error;
    }
    const { offer, bitmap } = download;
    if (chunk.sha256 !== offer.sha256 || chunk.index >= offer.chunkCount) return;
    if (shared) {
      download.lastSharedAt = Date.now();
      download.sharedPassed = Math.max(download.sharedPassed, chunk.index + 1);
    }
    this.stats.receivedBytes += chunk.data.byteLength;
    const exitAfter = this.options.exitAfterBytes;
    if (exitAfter !== undefined && this.stats.receivedBytes >= exitAfter) {
      // As a process exit would: nothing received from now on is written.
      this.exitNow();
      return;
    }
    if (this.options.dropRate && this.random() < this.options.dropRate) {
      this.stats.droppedChunks++;
      return;
    }
    if (bitmap.has(chunk.index) || download.writing.has(chunk.index) || chunk.data.byteLength !== this.chunkLength(offer, chunk.index)) return;
    download.inflight.delete(chunk.index);
    download.writing.add(chunk.index);
    // Copied: the MQTT client may reuse the buffer once this returns.
    const data = Buffer.from(chunk.data);
    const index = chunk.index;
    download.writes = download.writes.then(async () => {
      await download.file.write(data, 0, data.byteLength, index * offer.chunkSize);
      download.writing.delete(index);
      bitmap.set(index);
      download.bytes += data.byteLength;
    });
    void download.writes.then(() => this.afterWrite(download)).catch((error: Error) => this.emit('problem', error));
  }

  private exitNow(): void {
    if (this.exitSignalled) return;
    this.exitSignalled = true;
    this.stopped = true;
    void this.stop().then(
      () => this.options.onExitAfterBytes?.(),
      (error: Error) => this.emit('problem', error),
    );
  }

  private async afterWrite(download: Download): Promise<void> {
    if (this.stopped || this.download !== download || download.finishing) return;
    if (download.bitmap.complete) {
      download.finishing = true;
      void this.serially(() => this.finish(download));
      return;
    }
    await this.reportBytes(download, Date.now());
  }

  /**
   * A `downloading` report at most once a second while the bytes move, and once more when they
   * stop: the shared stream waits for its slowest target's figure, so the last one must go out.
   */
  private async reportBytes(download: Download, now: number): Promise<void> {
    if (download.bytes === download.reportedBytes || now - download.lastReportAt < REPORT_INTERVAL_MS) return;
    download.lastReportAt = now;
    download.reportedBytes = download.bytes;
    await this.report(download.offer.deploymentId, 'downloading', download.bytes);
  }

  private async tick(): Promise<void> {
    // A slow disk must not pile ticks up: one at a time.
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.tickOnce();
    } finally {
      this.ticking = false;
    }
  }

  private async tickOnce(): Promise<void> {
    const download = this.download;
    if (this.stopped || !download || download.finishing) return;
    const now = Date.now();
    if (now - download.lastSaveAt >= (this.options.saveIntervalMs ?? SAVE_INTERVAL_MS)) {
      download.lastSaveAt = now;
      await download.writes;
      await this.save(download).catch((error: Error) => this.emit('problem', error));
    }
    await this.reportBytes(download, now);
    // While the shared stream flows, what it has not reached yet is still coming.
    const askUpTo = download.offer.shared && this.streamFlowing(download, now) ? download.sharedPassed : download.offer.chunkCount;
    if (askUpTo === 0) return;
    const timeout = this.options.requestTimeoutMs ?? 5_000;
    for (const [index, at] of download.inflight) if (now - at >= timeout) download.inflight.delete(index);
    const window = this.options.windowChunks ?? 64;
    if (download.inflight.size > window / 2) return;
    const { bitmap, inflight, writing } = download;
    const ranges = missingRanges(askUpTo, (i) => bitmap.has(i) || inflight.has(i) || writing.has(i), 64, window - inflight.size);
    if (ranges.length === 0) return;
    for (const { first, count } of ranges) for (let i = first; i < first + count; i++) inflight.set(i, now);
    this.stats.requests++;
    const request = encodeChunkRequest({ sha256: download.offer.sha256, ranges });
    await this.options.transport
      .publish(toCloudV2Topic(ToCloudV2MessageType.ChunkRequest, this.options.gatewayId), encodeFrame(request), 1)
      .catch((error: Error) => this.emit('problem', error));
  }

  /** True while the shared stream may still bring chunks: until then only its gaps are asked for. */
  private streamFlowing(download: Download, now: number): boolean {
    if (download.lastSharedAt === null) return now - download.startedAt < (this.options.firstSharedWaitMs ?? FIRST_SHARED_WAIT_MS);
    return now - download.lastSharedAt < (this.options.idleMs ?? SHARED_IDLE_MS);
  }

  private async finish(download: Download): Promise<void> {
    download.finishing = true;
    await download.writes;
    await download.file.sync();
    await download.file.close();
    const { offer } = download;
    if (offer.shared) await this.options.transport.unsubscribe([sharedChunkTopic(offer.sha256)]).catch(() => undefined);
    await this.report(offer.deploymentId, 'downloaded', offer.size);
    const path = stagingPath(this.options.stateDir, offer.sha256);
    const problem = this.signatureProblem(offer) ?? (await this.checksumProblem(path, offer));
    if (problem) {
      await this.clear(offer);
      await this.end(offer, 'rejected', problem);
      return;
    }
    await this.report(offer.deploymentId, 'verified', offer.size);
    await this.report(offer.deploymentId, 'installing', null);
    try {
      await this.options.installer.install(path, offer);
      await this.options.installer.healthCheck(offer);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      let rollback = '';
      try {
        await this.options.installer.rollback(offer);
      } catch (rollbackError) {
        rollback = `; rollback failed too: ${rollbackError instanceof Error ? rollbackError.message : String(rollbackError)}`;
      }
      await this.clear(offer);
      await this.end(offer, 'failed', `${reason}${rollback}`);
      return;
    }
    await this.clear(offer);
    this.installed = offer.version;
    await this.end(offer, 'succeeded', null);
    await this.options.onInstalled?.(offer.version);
  }

  private async end(offer: Offer, state: EndedDelivery['state'], reason: string | null): Promise<void> {
    const cut = reason === null ? null : truncateReason(reason);
    const ended: EndedDelivery = {
      deploymentId: offer.deploymentId,
      sha256: offer.sha256,
      state,
      reason: cut,
      installedVersion: this.installed,
      reported: false,
    };
    await this.onDisk(() => saveEnded(this.options.stateDir, ended));
    await this.reportEnded(ended);
  }

  /** The final report, repeated until the broker takes it (or the agent stops: the next start sends it). */
  private async reportEnded(ended: EndedDelivery): Promise<void> {
    for (let delay = FINAL_REPORT_RETRY_MS; !(await this.report(ended.deploymentId, ended.state, null, ended.reason));) {
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => ((this.wake = null), resolve()), delay);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      if (this.stopped) return;
      delay = Math.min(2 * delay, FINAL_REPORT_RETRY_MAX_MS);
    }
    await this.onDisk(() => saveEnded(this.options.stateDir, { ...ended, reported: true })).catch((error: Error) => this.emit('problem', error));
  }

  private async checksumProblem(path: string, offer: Offer): Promise<string | null> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const actual = hash.digest('hex');
    return actual === offer.sha256 ? null : `sha256 of the downloaded image is ${actual}, the offer says ${offer.sha256}`;
  }

  private async discard(download: Download): Promise<void> {
    download.finishing = true;
    await download.writes.catch(() => undefined);
    await download.file.close().catch(() => undefined);
    if (download.offer.shared) await this.options.transport.unsubscribe([sharedChunkTopic(download.offer.sha256)]).catch(() => undefined);
    await this.clear(download.offer);
  }

  /** Removes the staging file (installers copy what they keep) and the saved state. */
  private clear(offer: Offer): Promise<void> {
    if (this.download?.offer.sha256 === offer.sha256) this.download = null;
    return this.onDisk(async () => {
      await rm(stagingPath(this.options.stateDir, offer.sha256), { force: true });
      await rm(join(this.options.stateDir, STATE_FILE), { force: true });
    });
  }

  private save(download: Download): Promise<void> {
    return this.onDisk(async () => {
      if (this.download !== download) return;
      // The data first: the saved bitmap never claims a chunk that is not on disk.
      const bitmap = new ChunkBitmap(download.bitmap.chunkCount, Buffer.from(download.bitmap.bits));
      await download.file.datasync().catch(() => undefined);
      if (this.download === download) await saveDownload(this.options.stateDir, { offer: download.offer, bitmap });
    });
  }

  private onDisk(work: () => Promise<void>): Promise<void> {
    const run = this.disk.then(work);
    this.disk = run.catch(() => undefined);
    return run;
  }

  /** Publishes with QoS 1; true once the broker acknowledged it. */
  private async report(deploymentId: string, state: ProgressState, bytes: number | null, reason: string | null = null): Promise<boolean> {
    const cut = reason === null ? null : truncateReason(reason);
    this.emit('progress', { deploymentId, state, bytes, reason: cut });
    const payload = encodeProgress({ deploymentId, state, bytes, reason: cut });
    try {
      await this.options.transport.publish(toCloudV2Topic(ToCloudV2MessageType.Progress, this.options.gatewayId), encodeFrame(payload), 1);
      return true;
    } catch (error) {
      this.emit('problem', error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }
}

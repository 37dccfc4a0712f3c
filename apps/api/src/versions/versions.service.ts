import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { SUPER_COMPANY_ID, type VersionDto, type VersionListDto, type VersionSource } from '@upgrade-manager/dto';
import { encodeFrameHeader, HEADER_LENGTH, payloadCrc32, sortVersions } from '@upgrade-manager/frame-codec';
import type { Model, Types } from 'mongoose';
import type { Readable } from 'node:stream';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { EventsService } from '../events/events.service';
import { GatewayMessenger } from '../gateway-messaging/gateway-messenger.service';
import { MAX_V1_IMAGE_BYTES } from '../image-delivery/mqtt-packet-limit';
import { ImageSigner, type ManifestSignature } from '../image-signing/image-signer.service';
import { LiveEventsService } from '../live/live-events.service';
import { CoalescingRunner } from './coalescing-runner';
import { ImageFrameCache, type FramedImage } from './image-frame-cache';
import { ImageStorage, type StoredImage } from './image-storage.service';
import { removeResourceFiles, resolveResourcesDir } from './resources-folder';
import { versionKey } from './version-names';
import { Version } from './version.schema';
import { VersionsMetrics } from './versions.metrics';
import { isDuplicateKeyError } from '../database/duplicate-key';

export interface NewVersion {
  version: string;
  image: StoredImage;
  source: VersionSource;
  actor: Principal | null;
  /** A detached signature made elsewhere, already verified; otherwise the server signs. */
  signature?: ManifestSignature;
}

export interface SignedImage {
  version: string;
  size: number;
  sha256: string;
  fileId: Types.ObjectId;
  keyId: string;
  signature: string;
}

// An announcement still going out at shutdown gets this long; gateways ask again when they start.
const SHUTDOWN_ANNOUNCE_WAIT_MS = 2000;

// The version list is read for every Request Latest/Available Versions of every gateway; it is
// kept in memory, dropped on every change made here and re-read after a while in case the
// database was changed from outside (restore).
const VERSION_LIST_TTL_MS = 10_000;

type VersionRecord = Version & { _id: unknown };

function invalidVersion(version: string): DomainError {
  return new DomainError(
    DomainErrorCode.INVALID_INPUT,
    `Invalid version ${JSON.stringify(version)}: use dotted numbers such as 1.2 or 1.10.3 (at most 64 characters)`,
  );
}

function unknownVersion(version: string): DomainError {
  return new DomainError(DomainErrorCode.NOT_FOUND, `Version ${version} does not exist`);
}

/**
 * The software images: metadata, content, and announcing changes to web users and gateways.
 * Versions are global: SPEC gives every company the same list.
 */
@Injectable()
export class VersionsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(VersionsService.name);
  private versionList: { loadedAt: number; versions: Promise<string[]> } | null = null;
  // Framed images shared by every publish of them (a rollout, repeated Request Upgrades), bounded in bytes.
  private readonly images: ImageFrameCache;
  private imageLoads: Promise<unknown> = Promise.resolve();
  private readonly announcer: CoalescingRunner;

  constructor(
    @InjectModel(Version.name) private readonly versions: Model<Version>,
    private readonly storage: ImageStorage,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    private readonly messenger: GatewayMessenger,
    private readonly metrics: VersionsMetrics,
    private readonly config: AppConfigService,
    private readonly signer: ImageSigner,
  ) {
    this.images = new ImageFrameCache(config.get('IMAGE_CACHE_BYTES'));
    metrics.watchImageCache(() => this.images.bytes);
    this.announcer = new CoalescingRunner(
      () => this.broadcastVersions(),
      (error) => this.logger.warn(`Could not announce the versions to gateways: ${(error as Error).message}`),
    );
  }

  /** Every version string, oldest first (dotted-number order). */
  async versionStrings(): Promise<string[]> {
    const cached = this.versionList;
    if (cached && Date.now() - cached.loadedAt < VERSION_LIST_TTL_MS) return [...(await cached.versions)];
    const entry = { loadedAt: Date.now(), versions: this.loadVersionStrings() };
    this.versionList = entry;
    try {
      return [...(await entry.versions)];
    } catch (error) {
      if (this.versionList === entry) this.versionList = null;
      throw error;
    }
  }

  /** The newest version, or null when there is none. */
  async latestVersion(): Promise<string | null> {
    return (await this.versionStrings()).at(-1) ?? null;
  }

  /** True when this version (or one that orders as equal: `1` for `1.0`) exists. */
  async exists(version: string): Promise<boolean> {
    const key = versionKey(version);
    return key !== null && (await this.versions.exists({ key })) !== null;
  }

  /**
   * The whole image as one Buffer, or null for an unknown version. The most recently read image is
   * kept, so callers get the same Buffer again: treat it as read-only.
   */
  async readContent(version: string): Promise<Buffer | null> {
    return (await this.readFramed(version))?.content ?? null;
  }

  /** The image as one frame, ready to publish (shared: read-only), or null for an unknown version. */
  async readImageFrame(version: string): Promise<Buffer | null> {
    return (await this.readFramed(version))?.frame ?? null;
  }

  private async readFramed(version: string): Promise<FramedImage | null> {
    const key = versionKey(version);
    if (key === null) return null;
    return this.images.get(key, () => this.loadFramedInTurn(key));
  }

  // One image read at a time: two large versions asked for together would hold both reads' buffers at once.
  private loadFramedInTurn(key: string): Promise<FramedImage | null> {
    const load = this.imageLoads.then(() => this.loadFramed(key));
    this.imageLoads = load.catch(() => undefined);
    return load;
  }

  async list(): Promise<VersionListDto> {
    const records = await this.versions.find().lean<VersionRecord[]>();
    const byVersion = new Map(records.map((record) => [record.version, record]));
    const newestFirst = sortVersions([...byVersion.keys()]).reverse();
    const items = newestFirst.map((version, index) => this.toDto(byVersion.get(version) as VersionRecord, index === 0));
    return { items, total: items.length };
  }

  async get(version: string): Promise<VersionDto> {
    const record = await this.findRecord(version);
    return this.toDto(record, (await this.latestVersion()) === record.version);
  }

  /** Metadata and a stream of the bytes, for downloads. */
  async openContent(version: string): Promise<{ version: VersionDto; content: Readable }> {
    const record = await this.findRecord(version);
    return { version: this.toDto(record, (await this.latestVersion()) === record.version), content: this.storage.openDownload(record.fileId) };
  }

  /**
   * What protocol v2 delivers: the stored image and its manifest signature. A version recorded
   * before signing existed is signed with the server's key now (once: the write is conditional).
   */
  async signedImage(version: string): Promise<SignedImage> {
    const record = await this.findRecord(version);
    let { keyId, signature } = record;
    if (!keyId || !signature) {
      ({ keyId, signature } = this.signer.sign({ version: record.version, size: record.size, sha256: record.sha256 }));
      await this.versions.updateOne({ _id: record._id, signature: null }, { $set: { keyId, signature } });
      ({ keyId, signature } = (await this.findRecord(version)) as { keyId: string; signature: string });
    }
    return { version: record.version, size: record.size, sha256: record.sha256, fileId: record.fileId, keyId, signature };
  }

  /** Why this version cannot be added, or null when it can (valid and not taken). */
  async checkNewVersion(version: string): Promise<DomainError | null> {
    const key = versionKey(version);
    if (key === null) return invalidVersion(version);
    const existing = await this.versions.findOne({ key }, { version: 1 }).lean<{ version: string }>();
    if (!existing) return null;
    const as = existing.version === version ? '' : ` as ${existing.version}, which orders the same`;
    return new DomainError(DomainErrorCode.CONFLICT, `Version ${version} already exists${as}; delete it first to replace it`);
  }

  /**
   * Records an image already stored in GridFS as a new version, then announces it. On failure the
   * stored image is removed; a version taken meanwhile is a CONFLICT.
   */
  async add(input: NewVersion): Promise<VersionDto> {
    const { version, image, source, actor } = input;
    const { keyId, signature } = input.signature ?? this.signer.sign({ version, size: image.size, sha256: image.sha256 });
    const key = versionKey(version);
    let record: VersionRecord;
    try {
      if (key === null) throw invalidVersion(version);
      await this.storage.rename(image.fileId, version);
      const created = await this.versions.create({
        version,
        key,
        size: image.size,
        sha256: image.sha256,
        crc32: image.crc32,
        createdAt: new Date(),
        createdBy: actor ? { userId: actor.userId, email: actor.email } : null,
        source,
        fileId: image.fileId,
        keyId,
        signature,
      });
      record = created.toObject<VersionRecord>();
    } catch (error) {
      await this.storage
        .discard(image.fileId)
        .catch((cleanup: Error) => this.logger.error(`Could not remove image ${image.fileId.toHexString()}: ${cleanup.message}`));
      if (isDuplicateKeyError(error))
        throw (await this.checkNewVersion(version)) ?? new DomainError(DomainErrorCode.CONFLICT, `Version ${version} already exists`);
      throw error;
    }
    this.versionList = null;
    this.metrics.added(source);
    this.logger.log(`Version ${version} added (${source}, ${image.size} bytes, sha256 ${image.sha256})`);

    const dto = this.toDto(record, (await this.latestVersion()) === version);
    await this.events.record({
      type: 'version.added',
      companyId: actor?.companyId ?? SUPER_COMPANY_ID,
      actor,
      details: { version, size: image.size, sha256: image.sha256, crc32: image.crc32, source },
    });
    this.live.publish({ type: 'version.added', companyId: null, data: { ...dto } });
    void this.announcer.request();
    return dto;
  }

  /** Deletes the version's metadata, its image and its resources-folder file, then re-announces. */
  async remove(version: string, actor: Principal): Promise<void> {
    const key = versionKey(version);
    if (key === null) throw invalidVersion(version);
    const record = await this.versions.findOneAndDelete({ key }).lean<VersionRecord>();
    if (!record) throw unknownVersion(version);
    this.versionList = null;
    this.images.delete(key);

    await this.storage.discard(record.fileId).catch((error: Error) => this.logger.error(`Could not remove image of ${record.version}: ${error.message}`));
    const removedFiles = await removeResourceFiles(resolveResourcesDir(this.config.get('RESOURCES_DIR')), record.version);
    this.metrics.removed();
    this.logger.log(`Version ${record.version} removed${removedFiles.length ? ` with resources file(s) ${removedFiles.join(', ')}` : ''}`);

    await this.events.record({
      type: 'version.removed',
      companyId: actor.companyId,
      actor,
      details: { version: record.version, sha256: record.sha256 },
    });
    this.live.publish({ type: 'version.removed', companyId: null, data: { version: record.version, latest: await this.latestVersion() } });
    void this.announcer.request();
  }

  /** Resolves once every announcement requested so far has been sent (or failed and been logged). */
  announce(): Promise<void> {
    return this.announcer.request();
  }

  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_ANNOUNCE_WAIT_MS)));
    await Promise.race([this.announcer.idle(), timeout]);
    clearTimeout(timer);
  }

  private async broadcastVersions(): Promise<void> {
    const versions = await this.versionStrings();
    const latest = versions.at(-1);
    if (latest !== undefined) await this.messenger.sendLatestVersion(latest);
    await this.messenger.sendAvailableVersions(versions);
  }

  private async loadVersionStrings(): Promise<string[]> {
    const records = await this.versions.find({}, { version: 1 }).lean<{ version: string }[]>();
    return sortVersions(records.map((record) => record.version));
  }

  // Read straight into a frame: the content is a view of it, so an image is held once, framed.
  private async loadFramed(key: string): Promise<FramedImage | null> {
    const record = await this.versions.findOne({ key }, { fileId: 1, size: 1, version: 1 }).lean<Pick<Version, 'fileId' | 'size' | 'version'>>();
    if (!record) return null;
    // Only protocol v2 delivers larger images, chunk by chunk; never hold one whole in memory.
    if (record.size > MAX_V1_IMAGE_BYTES) {
      this.logger.warn(`Version ${record.version} (${record.size} bytes) does not fit one MQTT message; only protocol-v2 gateways can receive it`);
      return null;
    }
    const frame = await this.storage.readAll(record.fileId, record.size, HEADER_LENGTH);
    const content = frame.subarray(HEADER_LENGTH);
    encodeFrameHeader({ timestampSeconds: Math.floor(Date.now() / 1000), payloadLength: content.byteLength, crc: payloadCrc32(content) }).copy(frame, 0);
    this.messenger.rememberImageFrame(content, frame);
    return { frame, content };
  }

  private async findRecord(version: string): Promise<VersionRecord> {
    const key = versionKey(version);
    if (key === null) throw invalidVersion(version);
    const record = await this.versions.findOne({ key }).lean<VersionRecord>();
    if (!record) throw unknownVersion(version);
    return record;
  }

  private toDto(record: VersionRecord, latest: boolean): VersionDto {
    return {
      version: record.version,
      size: record.size,
      sha256: record.sha256,
      crc32: record.crc32,
      createdAt: record.createdAt.toISOString(),
      createdBy: record.createdBy ? { userId: record.createdBy.userId, email: record.createdBy.email } : null,
      source: record.source,
      latest,
      keyId: record.keyId ?? null,
      signature: record.signature ?? null,
    };
  }
}

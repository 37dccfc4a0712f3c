import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { type FSWatcher, watch } from 'chokidar';
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { LeaseService } from '../cluster/lease.service';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { ImageStorage } from './image-storage.service';
import { resolveResourcesDir } from './resources-folder';
import { isIgnoredResourceName, versionFromFileName } from './version-names';
import { rejectionReasonOf, VersionsMetrics } from './versions.metrics';
import { VersionsService } from './versions.service';

// A file counts as fully written once its size has not changed for this long.
const WRITE_STABILITY_MS = 1000;
export const RESOURCES_WATCHER_LEASE = 'resources-watcher';

/**
 * Imports images dropped into RESOURCES_DIR: a file named like a version (`1.2`, or `1.2.bin`) becomes
 * that version unless it exists. Files present at start-up and not imported yet are imported too.
 * Files stay in the folder; deleting the version deletes its file (see VersionsService.remove).
 * One API process watches at a time, the holder of the lease `resources-watcher` (with several
 * processes on several hosts, RESOURCES_DIR is a folder they share).
 */
@Injectable()
export class ResourcesWatcher implements OnApplicationBootstrap {
  private readonly logger = new Logger(ResourcesWatcher.name);
  private watcher: FSWatcher | null = null;
  // One import at a time: a folder full of images must not open all of them at once.
  private queue: Promise<void> = Promise.resolve();
  private readonly dir: string;

  constructor(
    private readonly versions: VersionsService,
    private readonly storage: ImageStorage,
    private readonly metrics: VersionsMetrics,
    private readonly config: AppConfigService,
    private readonly leases: LeaseService,
  ) {
    this.dir = resolveResourcesDir(config.get('RESOURCES_DIR'));
  }

  onApplicationBootstrap(): void {
    this.leases.run(RESOURCES_WATCHER_LEASE, { start: () => this.start(), stop: () => this.stop() });
  }

  private async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const watcher = watch(this.dir, {
      depth: 0,
      ignoreInitial: false,
      // A link would publish whatever it points to (a .env, a key) to every gateway.
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: WRITE_STABILITY_MS, pollInterval: 100 },
      ignored: (path) => path !== this.dir && isIgnoredResourceName(basename(path)),
    });
    watcher.on('add', (path) => this.enqueue(path, 'add'));
    watcher.on('change', (path) => this.enqueue(path, 'change'));
    watcher.on('error', (error) => this.logger.error(`Watching ${this.dir} failed: ${(error as Error).message}`));
    this.watcher = watcher;
    this.logger.log(`Watching ${this.dir} for new versions`);
  }

  // When the lease goes, and before the database connection closes, so that an import in progress can finish.
  private async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
    await this.queue;
  }

  private enqueue(path: string, event: 'add' | 'change'): void {
    this.queue = this.queue.then(() =>
      this.importFile(path, event).catch((error: Error) => {
        this.metrics.rejected('resources', rejectionReasonOf(error));
        this.logger.error(`Could not import ${path}: ${error.message}`);
      }),
    );
  }

  private async importFile(path: string, event: 'add' | 'change'): Promise<void> {
    if (!this.watcher) return;
    const name = basename(path);
    const version = versionFromFileName(name);
    if (version === null) {
      this.metrics.rejected('resources', 'invalid-name');
      this.logger.warn(`Ignoring ${path}: not named like a version (e.g. 1.2 or 1.2.bin)`);
      return;
    }
    if (await this.versions.exists(version)) {
      if (event === 'change')
        this.logger.warn(`Ignoring the change of ${path}: version ${version} exists and images never change (delete the version to replace it)`);
      return;
    }
    if (!(await lstat(path)).isFile()) return this.notAFile(path);
    // No link followed even if one replaced the file since: O_NOFOLLOW; a FIFO must not block: O_NONBLOCK.
    const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ELOOP') return null;
      throw error;
    });
    if (file === null) return this.notAFile(path);
    try {
      await this.importOpenFile(file, path, version);
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  private notAFile(path: string): void {
    this.metrics.rejected('resources', 'not-a-file');
    this.logger.warn(`Ignoring ${path}: not a regular file (links and special files are never imported)`);
  }

  private async importOpenFile(file: FileHandle, path: string, version: string): Promise<void> {
    const stats = await file.stat();
    if (!stats.isFile()) return this.notAFile(path);
    const size = stats.size;
    const maxBytes = this.config.get('MAX_IMAGE_BYTES');
    if (size > maxBytes) {
      this.metrics.rejected('resources', 'too-large');
      this.logger.warn(`Ignoring ${path}: ${size} bytes, more than MAX_IMAGE_BYTES (${maxBytes})`);
      return;
    }
    if (size === 0) {
      this.metrics.rejected('resources', 'empty');
      this.logger.warn(`Ignoring ${path}: the file is empty`);
      return;
    }

    const source = file.createReadStream({ autoClose: false });
    try {
      const image = await this.storage.store(source, version);
      if (image.size > maxBytes) {
        await this.storage.discard(image.fileId);
        throw new DomainError(DomainErrorCode.PAYLOAD_TOO_LARGE, `${path} grew beyond MAX_IMAGE_BYTES (${maxBytes}) while being imported`);
      }
      await this.versions.add({ version, image, source: 'resources', actor: null });
    } catch (error) {
      // An upload of the same version won the race: nothing to import.
      if (error instanceof DomainError && error.code === DomainErrorCode.CONFLICT) return;
      throw error;
    } finally {
      source.destroy();
    }
  }
}

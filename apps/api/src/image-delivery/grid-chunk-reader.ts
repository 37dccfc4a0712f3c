import { mongo } from 'mongoose';
import { IMAGE_BUCKET, IMAGE_LAYOUTS } from '../versions/image-storage.service';
import { ByteBoundedCache } from './byte-bounded-cache';

interface GridLayout {
  gridChunkSize: number;
  length: number;
  /** `_id` of GridFS chunk n at index n. */
  ids: mongo.ObjectId[];
}

// Layouts are a few bytes per GridFS chunk; keep those of the images being delivered.
const MAX_LAYOUTS = 16;
const OBJECT_ID_BYTES = 12;

/** A layout kept in the database (IMAGE_LAYOUTS), the chunk ids packed 12 bytes each. */
interface StoredLayout {
  _id: mongo.ObjectId;
  gridChunkSize: number;
  length: number;
  ids: mongo.Binary;
}

/**
 * Reads byte ranges of a GridFS image without reading the image: the GridFS chunks covering the
 * range are fetched by `_id` (the one lookup FerretDB indexes) and kept in a cache bounded in
 * bytes. The list of chunk ids of an image is found once (a scan of the GridFS chunks on FerretDB,
 * about a minute for 1 GiB) and kept in the database, so other API processes read it by `_id`.
 */
export class GridChunkReader {
  private readonly cache: ByteBoundedCache<string>;
  private readonly layouts = new Map<string, Promise<GridLayout>>();

  constructor(
    private readonly db: () => mongo.Db,
    cacheBytes: number,
  ) {
    this.cache = new ByteBoundedCache(cacheBytes);
  }

  get cachedBytes(): number {
    return this.cache.size;
  }

  /** Reads the image's layout now (once per image: a scan of the GridFS chunks on FerretDB, about a minute for 1 GiB). */
  async prepare(fileId: mongo.ObjectId): Promise<void> {
    await this.layout(fileId);
  }

  /** Bytes `start` (inclusive) to `end` (exclusive) of the file. */
  async read(fileId: mongo.ObjectId, start: number, end: number): Promise<Buffer> {
    const layout = await this.layout(fileId);
    if (start < 0 || end > layout.length || start >= end) throw new RangeError(`range ${start}..${end} outside the ${layout.length}-byte image`);
    const first = Math.floor(start / layout.gridChunkSize);
    const last = Math.floor((end - 1) / layout.gridChunkSize);
    const parts: Buffer[] = [];
    for (let n = first; n <= last; n++) {
      const data = await this.gridChunk(fileId, layout, n);
      const base = n * layout.gridChunkSize;
      parts.push(data.subarray(Math.max(0, start - base), Math.min(data.byteLength, end - base)));
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  private gridChunk(fileId: mongo.ObjectId, layout: GridLayout, n: number): Promise<Buffer> {
    return this.cache.getOrLoad(`${fileId.toHexString()}:${n}`, async () => {
      const id = layout.ids[n];
      if (!id) throw new Error(`image ${fileId.toHexString()} has no GridFS chunk ${n}`);
      const doc = await this.db().collection(`${IMAGE_BUCKET}.chunks`).findOne({ _id: id });
      const data = doc?.['data'] as mongo.Binary | undefined;
      if (!data) throw new Error(`GridFS chunk ${n} of image ${fileId.toHexString()} is missing`);
      // A copy the size of the chunk, detached from the driver's buffer pool.
      return Buffer.from(data.buffer);
    });
  }

  private layout(fileId: mongo.ObjectId): Promise<GridLayout> {
    const key = fileId.toHexString();
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.loadLayout(fileId);
      layout.catch(() => this.layouts.delete(key));
      if (this.layouts.size >= MAX_LAYOUTS) this.layouts.delete(this.layouts.keys().next().value as string);
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private async loadLayout(fileId: mongo.ObjectId): Promise<GridLayout> {
    const db = this.db();
    const layouts = db.collection<StoredLayout>(IMAGE_LAYOUTS);
    const stored = await layouts.findOne({ _id: fileId });
    if (stored) return { gridChunkSize: stored.gridChunkSize, length: stored.length, ids: unpackIds(Buffer.from(stored.ids.buffer)) };
    const file = await db.collection(`${IMAGE_BUCKET}.files`).findOne({ _id: fileId });
    if (!file) throw new Error(`image ${fileId.toHexString()} not found`);
    const gridChunkSize = Number(file['chunkSize']);
    const length = Number(file['length']);
    const expected = Math.ceil(length / gridChunkSize);
    const ids: mongo.ObjectId[] = new Array<mongo.ObjectId>(expected);
    const cursor = db.collection(`${IMAGE_BUCKET}.chunks`).find({ files_id: fileId }, { projection: { _id: 1, n: 1 } });
    for await (const chunk of cursor) ids[Number(chunk['n'])] = chunk['_id'] as mongo.ObjectId;
    if (ids.filter(Boolean).length !== expected) throw new Error(`image ${fileId.toHexString()} has missing GridFS chunks`);
    // An image never changes, so neither does its layout: whoever stores it first stores the same.
    // Not kept, it only costs the next process the scan.
    if (ids.every((id) => id instanceof mongo.ObjectId)) {
      await layouts.replaceOne({ _id: fileId }, { gridChunkSize, length, ids: new mongo.Binary(packIds(ids)) }, { upsert: true }).catch(() => undefined);
    }
    return { gridChunkSize, length, ids };
  }
}

function packIds(ids: readonly mongo.ObjectId[]): Buffer {
  return Buffer.concat(ids.map((id) => Buffer.from(id.id)));
}

function unpackIds(packed: Buffer): mongo.ObjectId[] {
  const ids: mongo.ObjectId[] = [];
  for (let offset = 0; offset + OBJECT_ID_BYTES <= packed.byteLength; offset += OBJECT_ID_BYTES) {
    ids.push(new mongo.ObjectId(packed.subarray(offset, offset + OBJECT_ID_BYTES)));
  }
  return ids;
}

import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { type Connection, mongo } from 'mongoose';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { DigestStream, type ImageDigest } from './image-digest';

export const IMAGE_BUCKET = 'images';
/** Where protocol-v2 delivery keeps each image's list of GridFS chunk ids (image-delivery/grid-chunk-reader.ts). */
export const IMAGE_LAYOUTS = `${IMAGE_BUCKET}.layouts`;
// GridFS chunks (255 KiB each) per database round trip when an image is read whole.
const READ_BATCH_CHUNKS = 8;

export interface StoredImage extends ImageDigest {
  fileId: mongo.ObjectId;
}

/** Image bytes in GridFS, streamed in and out; the Version documents hold their metadata. */
@Injectable()
export class ImageStorage {
  private gridFs: mongo.GridFSBucket | null = null;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  /**
   * Streams `source` into a new GridFS file while digesting it. If the source or the database
   * fails, whatever was written is removed and the error is thrown; the caller then drains or
   * destroys the source (it may be a part of a larger request that must still be read).
   */
  async store(source: Readable, filename: string): Promise<StoredImage> {
    const digest = new DigestStream();
    const upload = this.bucket().openUploadStream(filename);
    let sourceError: Error | null = null;
    // Ending (not destroying) the GridFS stream lets its pending chunk writes settle before
    // the partial file is removed, so no orphan chunk can land after the clean-up.
    source.on('error', (error: Error) => {
      if (sourceError) return;
      sourceError = error;
      source.unpipe(digest);
      digest.end();
    });
    source.pipe(digest);
    try {
      await pipeline(digest, upload);
    } catch (error) {
      source.unpipe(digest);
      await this.discard(upload.id);
      throw error;
    }
    if (sourceError) {
      await this.discard(upload.id);
      throw sourceError;
    }
    return { fileId: upload.id, ...digest.digest };
  }

  async rename(fileId: mongo.ObjectId, filename: string): Promise<void> {
    await this.bucket().rename(fileId, filename);
  }

  /** Removes a file and its chunks; also cleans up the chunks of an upload that never completed. */
  async discard(fileId: mongo.ObjectId): Promise<void> {
    const db = this.db();
    await db.collection(`${IMAGE_BUCKET}.files`).deleteOne({ _id: fileId });
    await db.collection(`${IMAGE_BUCKET}.chunks`).deleteMany({ files_id: fileId });
    await db.collection(IMAGE_LAYOUTS).deleteOne({ _id: fileId });
  }

  openDownload(fileId: mongo.ObjectId): Readable {
    return this.bucket().openDownloadStream(fileId);
  }

  /**
   * The whole file in one Buffer of the known size, after `headroom` bytes left for the caller (a
   * frame header). The GridFS chunks are read a few at a time and copied in: a download stream
   * fetches batches of up to 16 MiB, each decoded into copies of its chunks, so reading one 64 MiB
   * image held about as much again in transient buffers.
   */
  async readAll(fileId: mongo.ObjectId, size: number, headroom = 0): Promise<Buffer> {
    const content = Buffer.allocUnsafe(headroom + size);
    let offset = headroom;
    let expected = 0;
    const chunks = this.db()
      .collection<{ n: number; data: mongo.Binary }>(`${IMAGE_BUCKET}.chunks`)
      .find({ files_id: fileId }, { projection: { n: 1, data: 1 }, sort: { n: 1 }, batchSize: READ_BATCH_CHUNKS });
    for await (const chunk of chunks) {
      if (chunk.n !== expected) throw new Error(`image ${fileId.toHexString()}: GridFS chunk ${expected} missing`);
      expected += 1;
      const data = chunk.data.buffer;
      if (offset + data.byteLength > headroom + size) throw new Error(`image ${fileId.toHexString()} is larger than its recorded ${size} bytes`);
      content.set(data, offset);
      offset += data.byteLength;
    }
    if (offset !== headroom + size) throw new Error(`image ${fileId.toHexString()} has ${offset - headroom} bytes, ${size} recorded`);
    return content;
  }

  private bucket(): mongo.GridFSBucket {
    this.gridFs ??= new mongo.GridFSBucket(this.db(), { bucketName: IMAGE_BUCKET });
    return this.gridFs;
  }

  private db(): mongo.Db {
    const db = this.connection.db;
    if (!db) throw new DomainError(DomainErrorCode.UNAVAILABLE, 'The database is not connected');
    return db;
  }
}

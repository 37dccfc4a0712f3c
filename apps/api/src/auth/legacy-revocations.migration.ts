import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model, mongo } from 'mongoose';
import { MAX_STATEMENTS_PER_WRITE } from '../database/chunked-bulk-write';
import { DUPLICATE_KEY } from '../database/duplicate-key';
import { tolerantBulkWrite } from '../database/tolerant-bulk-write';
import { RevokedToken } from './revoked-token.schema';

const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;

interface LegacyRevocation {
  _id: mongo.ObjectId;
  jti?: unknown;
  expiresAt?: unknown;
}

/**
 * Earlier versions stored a revocation under an ObjectId `_id` and looked it up by `jti`; now the
 * token id is the `_id`. Before the API takes requests, each old revocation is copied to the new
 * form and then deleted, so a token logged out before the upgrade stays refused. Every step is a
 * conditional write that may run twice, so API processes starting together do not disturb each
 * other. Old revocations end within JWT_EXPIRES_IN anyway, so there are few.
 */
@Injectable()
export class LegacyRevocationsMigration implements OnApplicationBootstrap {
  private readonly logger = new Logger(LegacyRevocationsMigration.name);

  constructor(@InjectModel(RevokedToken.name) private readonly revoked: Model<RevokedToken>) {}

  // Awaited: the HTTP server listens only after this (a failure stops the start).
  async onApplicationBootstrap(): Promise<void> {
    const migrated = await this.migrate();
    if (migrated > 0) this.logger.log(`Moved ${migrated} revoked tokens to their token id as _id`);
  }

  /** Copies every old-form revocation to the new form and deletes it; returns how many. */
  async migrate(): Promise<number> {
    const collection = this.revoked.collection;
    // The old unique index on jti would refuse the copy while the old document still exists.
    await collection.dropIndex('jti_1').catch((error: mongo.MongoServerError) => {
      if (error.code !== INDEX_NOT_FOUND && error.code !== NAMESPACE_NOT_FOUND) throw error;
    });
    let migrated = 0;
    const legacy = collection.find<LegacyRevocation>(
      { _id: { $type: 'objectId' } },
      { projection: { jti: 1, expiresAt: 1 }, batchSize: MAX_STATEMENTS_PER_WRITE },
    );
    let batch: LegacyRevocation[] = [];
    for await (const document of legacy) {
      batch.push(document);
      if (batch.length < MAX_STATEMENTS_PER_WRITE) continue;
      migrated += await this.moveBatch(batch);
      batch = [];
    }
    return migrated + (await this.moveBatch(batch));
  }

  private async moveBatch(batch: LegacyRevocation[]): Promise<number> {
    if (batch.length === 0) return 0;
    const valid = batch.filter(
      (document): document is LegacyRevocation & { jti: string; expiresAt: Date } => typeof document.jti === 'string' && document.expiresAt instanceof Date,
    );
    const copies = valid.map(({ jti, expiresAt }) => ({ updateOne: { filter: { _id: jti }, update: { $setOnInsert: { jti, expiresAt } }, upsert: true } }));
    const { rejected } = await tolerantBulkWrite(this.revoked, copies);
    // A duplicate key is another process's copy of the same revocation: it exists, which is the point.
    const failed = rejected.filter(({ code }) => code !== DUPLICATE_KEY);
    if (failed.length > 0) throw new Error(`Could not move revoked tokens to the new form: ${failed[0].message}`);
    // Documents without a usable jti or expiry never refused a token (a token always has both).
    await this.revoked.collection.deleteMany({ _id: { $in: batch.map(({ _id }) => _id) } });
    return valid.length;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { RevokedToken } from './revoked-token.schema';

/** Token revocations live in the database so a restart does not bring a logged-out token back. */
@Injectable()
export class RevokedTokensService {
  private readonly logger = new Logger(RevokedTokensService.name);

  constructor(@InjectModel(RevokedToken.name) private readonly revoked: Model<RevokedToken>) {}

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.revoked.updateOne({ _id: jti }, { $setOnInsert: { jti, expiresAt } }, { upsert: true });
    // The TTL index does this on MongoDB; the explicit sweep covers databases without TTL monitors.
    this.revoked
      .deleteMany({ expiresAt: { $lt: new Date() } })
      .catch((error: Error) => this.logger.warn(`Sweep of expired revocations failed: ${error.message}`));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.revoked.exists({ _id: jti })) !== null;
  }

  /** Which of these token ids are revoked, in one read. */
  async revokedOf(jtis: readonly string[]): Promise<Set<string>> {
    if (jtis.length === 0) return new Set();
    const revoked = await this.revoked.find({ _id: { $in: jtis } }, { _id: 1 }).lean<Pick<RevokedToken, '_id'>[]>();
    return new Set(revoked.map(({ _id }) => _id));
  }
}

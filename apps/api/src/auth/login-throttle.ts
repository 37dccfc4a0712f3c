import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { AppConfigService } from '../config/app-config.service';
import { isDuplicateKeyError } from '../database/duplicate-key';

// Past the free failures an attempt holds its keys while its password is verified, so parallel
// guesses wait their turn (within the free ones an office behind one address logs in in parallel).
const VERIFY_HOLD_MS = 2_000;
// However an account is attacked, a new address waits at most this long for it.
const ACCOUNT_DELAY_MAX_MS = 60_000;
// An office behind one address may hold many accounts, so the address limit is higher.
const ADDRESS_FAILURES_PER_ACCOUNT_FAILURE = 5;

export interface ThrottleRule {
  /** Failures in a row before attempts wait. */
  freeFailures: number;
  maxDelayMs: number;
}

/** The wait after `failures` failures in a row: none for the free ones, then 1 s doubling up to the rule's maximum. */
export function delayAfter(failures: number, rule: ThrottleRule): number {
  if (failures < rule.freeFailures) return 0;
  return Math.min(1000 * 2 ** Math.min(failures - rule.freeFailures, 30), rule.maxDelayMs);
}

interface ThrottleDocument {
  _id: string;
  failures: number;
  nextAttemptAt: Date;
  lastFailureAt: Date;
  // A pair (account, address) that logged in before: the account's own wait does not apply to it.
  trusted?: boolean;
}

interface HeldKey {
  id: string;
  rule: ThrottleRule;
  failures: number;
}

export type LoginAttempt = { allowed: true; failed(): Promise<void>; succeeded(): Promise<void> } | { allowed: false; retryAfterSeconds: number };

/**
 * Failed logins slow further attempts down instead of locking the account: per address, per
 * account and address, and per account, a wait that doubles with each failure in a row. The
 * account's own wait stops at a minute and does not apply to an address that logged in to it
 * before, so an attacker elsewhere can never keep the owner out. The counters live in the database
 * (one document per key, taken with a conditional upsert), so every API process sees them.
 */
@Injectable()
export class LoginThrottle {
  private readonly forgetAfterMs: number;
  private readonly pairRule: ThrottleRule;
  private readonly addressRule: ThrottleRule;
  private readonly accountRule: ThrottleRule;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    config: AppConfigService,
  ) {
    const free = config.get('LOGIN_MAX_FAILURES');
    this.forgetAfterMs = config.get('LOGIN_LOCKOUT_S') * 1000;
    this.pairRule = { freeFailures: free, maxDelayMs: this.forgetAfterMs };
    this.addressRule = { freeFailures: free * ADDRESS_FAILURES_PER_ACCOUNT_FAILURE, maxDelayMs: this.forgetAfterMs };
    this.accountRule = { freeFailures: free, maxDelayMs: Math.min(ACCOUNT_DELAY_MAX_MS, this.forgetAfterMs) };
  }

  /** Takes the attempt's keys, or says how long to wait. Every attempt counts as a failure until it succeeds. */
  async begin(account: string, address: string, now = new Date()): Promise<LoginAttempt> {
    const pairId = `pair:${account}|${address}`;
    const trusted = (await this.collection().findOne({ _id: pairId, trusted: true }, { projection: { _id: 1 } })) !== null;
    const keys: Array<{ id: string; rule: ThrottleRule }> = [
      { id: pairId, rule: this.pairRule },
      { id: `address:${address}`, rule: this.addressRule },
      ...(trusted ? [] : [{ id: `account:${account}`, rule: this.accountRule }]),
    ];
    const held: HeldKey[] = [];
    for (const key of keys) {
      const taken = await this.take(key.id, key.rule, now);
      if (typeof taken === 'number') {
        await Promise.all(held.map((heldKey) => this.release(heldKey, now)));
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(taken / 1000)) };
      }
      held.push({ ...key, failures: taken.failures });
    }
    return {
      allowed: true,
      failed: async () => {
        await Promise.all(held.map((key) => this.setNextAttempt(key.id, new Date(Date.now() + delayAfter(key.failures, key.rule)))));
      },
      succeeded: async () => {
        const at = new Date();
        await Promise.all(
          held.map((key) =>
            key.id === pairId
              ? this.collection().updateOne({ _id: key.id }, { $set: { failures: 0, nextAttemptAt: at, trusted: true } })
              : this.release(key, at),
          ),
        );
      },
    };
  }

  /** The key's document after taking it, or the milliseconds to wait when it is not free. */
  private async take(id: string, rule: ThrottleRule, now: Date): Promise<ThrottleDocument | number> {
    const collection = this.collection();
    await collection.updateOne({ _id: id, lastFailureAt: { $lt: new Date(now.getTime() - this.forgetAfterMs) } }, { $set: { failures: 0 } });
    // Two attempts at most: one that lost the race to create a new key takes it as it now stands.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const taken = await collection.findOneAndUpdate(
          { _id: id, nextAttemptAt: { $lte: now } },
          // A new key is free at once: without a date of its own, the attempts that come while its
          // first one runs would match no document and find it taken.
          { $inc: { failures: 1 }, $set: { lastFailureAt: now }, $setOnInsert: { nextAttemptAt: new Date(0) } },
          { upsert: true, returnDocument: 'after' },
        );
        if (taken === null) throw new Error(`login throttle key ${id} not written`);
        if (taken.failures > rule.freeFailures) await this.setNextAttempt(id, new Date(now.getTime() + VERIFY_HOLD_MS));
        return taken;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const current = await collection.findOne({ _id: id });
        const waitMs = Math.max(0, (current?.nextAttemptAt?.getTime() ?? now.getTime()) - now.getTime());
        if (waitMs > 0 || attempt === 2) return waitMs;
      }
    }
  }

  // Not a failure after all (refused by another key, or a success): counted back.
  private async release(key: HeldKey, now: Date): Promise<void> {
    await this.collection().updateOne(
      { _id: key.id },
      { $inc: { failures: -1 }, $set: { nextAttemptAt: new Date(now.getTime() + delayAfter(key.failures - 1, key.rule)) } },
    );
  }

  private async setNextAttempt(id: string, at: Date): Promise<void> {
    await this.collection().updateOne({ _id: id }, { $set: { nextAttemptAt: at } });
  }

  private collection() {
    return this.connection.collection<ThrottleDocument>('login_throttle');
  }
}

import type { Connection } from 'mongoose';
import type { AppConfigService } from '../config/app-config.service';
import { delayAfter, LoginThrottle } from './login-throttle';

describe('delayAfter', () => {
  const rule = { freeFailures: 3, maxDelayMs: 60_000 };

  it('lets the free failures through, then doubles from one second up to the maximum', () => {
    expect([0, 1, 2].map((failures) => delayAfter(failures, rule))).toEqual([0, 0, 0]);
    expect([3, 4, 5, 6].map((failures) => delayAfter(failures, rule))).toEqual([1000, 2000, 4000, 8000]);
    expect(delayAfter(9, rule)).toBe(60_000);
    expect(delayAfter(1000, rule)).toBe(60_000);
  });
});

describe('LoginThrottle', () => {
  // MongoDB does not retry an upsert whose filter holds more than the key: of two attempts creating
  // one key at once, one gets a duplicate key error.
  it('takes a key that another attempt created meanwhile instead of refusing the login', async () => {
    const duplicateKey = Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
    const stored = { _id: 'k', failures: 1, nextAttemptAt: new Date(0), lastFailureAt: new Date() };
    const findOneAndUpdate = jest
      .fn()
      .mockRejectedValueOnce(duplicateKey)
      .mockImplementation(async () => ({ ...stored, failures: stored.failures + 1 }));
    const collection = { updateOne: jest.fn(async () => ({})), findOne: jest.fn(async () => stored), findOneAndUpdate };
    const config = { get: (name: string) => ({ LOGIN_MAX_FAILURES: 10, LOGIN_LOCKOUT_S: 900 })[name] } as unknown as AppConfigService;
    const throttle = new LoginThrottle({ collection: () => collection } as unknown as Connection, config);
    const attempt = await throttle.begin('someone@two.test', '192.0.2.1');
    expect(attempt.allowed).toBe(true);
  });
});

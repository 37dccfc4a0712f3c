import type { Model } from 'mongoose';
import type { RevokedToken } from './revoked-token.schema';
import { RevokedTokensService, SWEEP_INTERVAL_MS } from './revoked-tokens.service';

describe('RevokedTokensService', () => {
  it('sweeps expired revocations at most once per SWEEP_INTERVAL_MS, however many logouts come', async () => {
    const deleteMany = jest.fn(async () => ({ deletedCount: 0 }));
    const revoked = { updateOne: jest.fn(async () => ({})), deleteMany } as unknown as Model<RevokedToken>;
    const service = new RevokedTokensService(revoked);
    const start = 1_000_000;
    for (let index = 0; index < 100; index += 1) await service.revoke(`t${index}`, new Date(start + 3_600_000), start + index * 100);
    expect(deleteMany).toHaveBeenCalledTimes(1);
    await service.revoke('later', new Date(start + 3_600_000), start + SWEEP_INTERVAL_MS);
    expect(deleteMany).toHaveBeenCalledTimes(2);
  });
});

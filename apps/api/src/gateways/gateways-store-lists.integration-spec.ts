import { Gateway, GatewaySchema, type GatewayUpgrade } from './gateway.schema';
import { GatewaysStore } from './gateways.store';
import { useThrowawayDatabase } from '../../test/throwaway-database';

// The writes of one update to many gateways (updateMany of `_id` lists): each gateway keeps its own condition.
describe('GatewaysStore list writes (real database)', () => {
  const GATEWAYS = 250;
  const database = useThrowawayDatabase('gateways-store-lists');
  let store: GatewaysStore;
  const ids = Array.from({ length: GATEWAYS }, (_, index) => `gw${index}`);
  const gateways = () => database().collection<{ _id: string; upgrade: GatewayUpgrade | null; lastSeenAt?: Date | null }>('gateways');
  const upgradeOf = async (gatewayId: string) => (await gateways().findOne({ _id: gatewayId }))?.upgrade;

  beforeAll(() => {
    store = new GatewaysStore(database().model(Gateway.name, GatewaySchema));
  });

  beforeEach(async () => {
    await gateways().deleteMany({});
  });

  it('writes a pending copy only over an older copy or none: a newer deployment or a decision of this one stays', async () => {
    const startedAt = new Date('2026-12-02T08:00:00Z');
    const copy = (deploymentId: string, at: Date | undefined, status: GatewayUpgrade['status']): GatewayUpgrade => ({
      deploymentId,
      version: deploymentId,
      status,
      ...(at ? { startedAt: at } : {}),
    });
    const before = [
      null,
      copy('older', new Date(startedAt.getTime() - 1000), 'confirmed'),
      copy('earliest', undefined, 'failed'),
      copy('newer', new Date(startedAt.getTime() + 1000), 'pending'),
      copy('this', startedAt, 'confirmed'),
    ];
    await gateways().insertMany(ids.map((_id, index) => ({ _id, upgrade: before[index % before.length] })));

    await store.setPendingUpgrades([...ids, 'unknown'], { deploymentId: 'this', version: 'this', startedAt });

    const stored = await gateways().find({}).sort({ _id: 1 }).toArray();
    expect(stored).toHaveLength(GATEWAYS);
    for (const gateway of stored) {
      const index = Number(gateway._id.slice(2));
      const expected = index % before.length < 3 ? copy('this', startedAt, 'pending') : before[index % before.length];
      expect(gateway.upgrade).toEqual(expected);
    }
  });

  it('leaves every gateway at the newer deployment when an older and a newer pending copy are written at the same time', async () => {
    await gateways().insertMany(ids.map((_id) => ({ _id, upgrade: null })));
    const older = { deploymentId: 'older', version: '1', startedAt: new Date('2026-12-02T08:00:00Z') };
    const newer = { deploymentId: 'newer', version: '2', startedAt: new Date('2026-12-02T08:00:01Z') };
    // Reversed lists: the two writers cross in the middle.
    await Promise.all([store.setPendingUpgrades(ids, newer), store.setPendingUpgrades([...ids].reverse(), older)]);
    expect(await gateways().countDocuments({ 'upgrade.deploymentId': 'newer', 'upgrade.status': 'pending' })).toBe(GATEWAYS);
  });

  it('writes each gateway its own decided upgrade (the last when listed twice)', async () => {
    await gateways().insertMany(ids.map((_id) => ({ _id, upgrade: null })));
    const startedAt = new Date('2026-12-02T08:00:00Z');
    const confirmed: GatewayUpgrade = { deploymentId: 'd', version: '2', status: 'confirmed', startedAt };
    const failed: GatewayUpgrade = { deploymentId: 'd', version: '2', status: 'failed', startedAt };
    await store.setUpgradeOutcomes([
      ...ids.map((gatewayId, index) => ({ gatewayId, upgrade: index % 3 === 0 ? failed : confirmed })),
      { gatewayId: 'gw1', upgrade: failed },
      { gatewayId: 'gw0', upgrade: confirmed },
    ]);
    expect(await upgradeOf('gw0')).toEqual(confirmed);
    expect(await upgradeOf('gw1')).toEqual(failed);
    expect(await upgradeOf('gw3')).toEqual(failed);
    expect(await upgradeOf('gw4')).toEqual(confirmed);
    // gw0 leaves the failed ones and gw1 joins them.
    const failedCount = ids.filter((_, index) => index % 3 === 0).length;
    expect(await gateways().countDocuments({ 'upgrade.status': 'failed' })).toBe(failedCount);
    expect(await gateways().countDocuments({ 'upgrade.status': 'confirmed' })).toBe(GATEWAYS - failedCount);
  });

  it('moves liveness forward only, and creates no gateway', async () => {
    const seenAt = new Date('2026-12-02T08:00:00Z');
    const later = new Date(seenAt.getTime() + 60_000);
    await gateways().insertMany(ids.map((_id, index) => ({ _id, upgrade: null, lastSeenAt: index % 2 === 0 ? later : null })));
    await store.touchLiveness([...ids, 'unknown'], seenAt);
    expect(await gateways().countDocuments({ lastSeenAt: later })).toBe(GATEWAYS / 2);
    expect(await gateways().countDocuments({ lastSeenAt: seenAt })).toBe(GATEWAYS / 2);
    expect(await gateways().countDocuments({})).toBe(GATEWAYS);
  });

  it('reads the reported version and liveness of listed gateways in lists of ids, leaving out those not registered', async () => {
    const seenAt = new Date('2026-12-02T09:00:00Z');
    await gateways().insertMany(ids.map((_id, index) => ({ _id, upgrade: null, version: `1.${index}`, lastSeenAt: index % 2 === 0 ? seenAt : null })));
    const statuses = await store.reportedStatuses([...ids, 'unknown', ids[0]]);
    expect(statuses.size).toBe(GATEWAYS);
    expect(statuses.get('gw0')).toEqual({ version: '1.0', lastSeenAt: seenAt });
    expect(statuses.get(`gw${GATEWAYS - 1}`)).toEqual({ version: `1.${GATEWAYS - 1}`, lastSeenAt: null });
    expect(statuses.has('unknown')).toBe(false);
  });
});

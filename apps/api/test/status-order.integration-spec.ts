import { fleetGatewayIds, forEachConcurrently, GatewayFleet } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { ChildApi } from './child-api';
import { gatewayOptions, metricValue, uniqueId } from './protocol-helpers';
import { eventually } from './test-api';

const FLEET_SIZE = 100;
const CONCURRENCY = 25;
// Statuses per gateway in one burst, each dated one second after the one before.
const BURST = 6;
const STATUSES_PER_GATEWAY = BURST + 1;

/**
 * Two API processes share the gateways' Statuses (shared subscription, round robin), so one
 * gateway's burst is written by both in an order nobody controls. The stored Status must be the
 * one the gateway sent last, also when an older one arrives after it.
 */
describe('Status order with two API processes', () => {
  const companyId = uniqueId('co-order');
  const first = new ChildApi();
  const apis = [first, new ChildApi(first)];
  let fleet: GatewayFleet | undefined;
  let db: mongoose.Connection;

  beforeAll(async () => {
    for (const child of apis) await child.build();
    await Promise.all(apis.map((child) => child.start()));
    db = await mongoose.createConnection(first.mongoUrl.toString()).asPromise();
  }, 300_000);

  afterAll(async () => {
    await fleet?.close();
    for (const child of [...apis].reverse()) await child.dispose();
    await db?.close();
  });

  it('stores the Status each gateway sent last, whichever process writes last', async () => {
    const { gatewayId: _unused, ...client } = gatewayOptions('unused', companyId);
    fleet = new GatewayFleet({ gatewayIds: fleetGatewayIds(uniqueId('gw-order'), FLEET_SIZE), client, concurrency: CONCURRENCY });
    expect((await fleet.start()).connected).toBe(FLEET_SIZE);
    const statusesBefore = await handledStatuses();

    const now = Math.floor(Date.now() / 1000);
    await forEachConcurrently(fleet.clients, CONCURRENCY, async (gateway) => {
      for (let i = 0; i < BURST; i++) await gateway.sendStatus({ version: `0.${i + 1}` }, now - BURST + 1 + i);
      // Sent last, but dated before the burst (the order of a queue drained late): never stored over it.
      await gateway.sendStatus({ version: '0.0' }, now - BURST - 10);
    });
    try {
      // Every Status handled, by one process or the other, and written (the gauge counts a batch being written).
      await eventually(
        async () => {
          expect((await handledStatuses()) - statusesBefore).toBe(FLEET_SIZE * STATUSES_PER_GATEWAY);
          for (const child of apis) expect(await metricValue(child.baseUrl, 'um_gateway_activity_pending')).toBe(0);
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    } catch (error) {
      for (const child of apis) console.log(child.log.slice(-5_000));
      throw error;
    }
    const stored = await db
      .collection<{ _id: string; version: string; statusSentAt?: Date }>('gateways')
      .find({ companyId }, { projection: { version: 1, statusSentAt: 1 } })
      .toArray();
    expect(stored).toHaveLength(FLEET_SIZE);
    // The late, older Status never overwrote the burst (without the conditional write: most gateways).
    expect(stored.filter((gateway) => gateway.version === '0.0').map((gateway) => gateway._id)).toEqual([]);
    // FerretDB reads and writes a document in two steps, so two processes updating one gateway in the
    // same instant can still lose the order (MongoDB applies each update atomically): nearly all, not all.
    const atLast = stored.filter((gateway) => gateway.version === `0.${BURST}` && gateway.statusSentAt?.getTime() === now * 1000);
    console.log(
      `${atLast.length} of ${FLEET_SIZE} gateways at their last Status; the others: ${stored
        .filter((gateway) => !atLast.includes(gateway))
        .map((gateway) => gateway.version)
        .join(', ')}`,
    );
    expect(atLast.length).toBeGreaterThanOrEqual(FLEET_SIZE * 0.95);
    const handledBy = await Promise.all(apis.map((child) => metricValue(child.baseUrl, 'um_gateway_messages_total', { type: 'STATUS' })));
    expect(handledBy.every((count) => count > 0)).toBe(true);
    // Some older Statuses reached the database after a newer one and were turned away there.
    const stale = await Promise.all(apis.map((child) => metricValue(child.baseUrl, 'um_gateway_status_stale_total')));
    expect(stale.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
  }, 300_000);

  async function handledStatuses(): Promise<number> {
    const counts = await Promise.all(apis.map((child) => metricValue(child.baseUrl, 'um_gateway_messages_total', { type: 'STATUS' })));
    return counts.reduce((sum, count) => sum + count, 0);
  }
});

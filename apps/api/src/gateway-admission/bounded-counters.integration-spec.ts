import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { BoundedCounters, type CounterDocument } from './bounded-counters';

// Two connections stand for two API processes: the limit holds across them.
describe('bounded counters (real database)', () => {
  const url = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  url.pathname = `/um-test-counters-${randomBytes(4).toString('hex')}`;
  const connections: mongoose.Connection[] = [];

  beforeAll(async () => {
    for (let index = 0; index < 2; index += 1) connections.push(await mongoose.createConnection(url.toString()).asPromise());
  });

  afterAll(async () => {
    await connections[0]?.dropDatabase();
    await Promise.all(connections.map((connection) => connection.close()));
  });

  // In turn, not at once: FerretDB 1.24 (SQLite) does not serialize concurrent updates of one
  // document (24 concurrent takers got 8 or 9 slots of 7 there); MongoDB does.
  it('grants exactly `limit` slots to takers on two connections', async () => {
    const counters = connections.map((connection) => new BoundedCounters(connection.collection<CounterDocument>('counters')));
    const results: boolean[] = [];
    for (let index = 0; index < 24; index += 1) results.push(await counters[index % 2].take('company-gateways:2', 7));
    expect(results.filter(Boolean)).toHaveLength(7);
    await counters[0].add('company-gateways:2', -1);
    expect(await counters[1].take('company-gateways:2', 7)).toBe(true);
    expect(await counters[1].take('company-gateways:2', 7)).toBe(false);
  });

  it('takes many slots at once only while all of them are left', async () => {
    const counters = new BoundedCounters(connections[0].collection<CounterDocument>('many'));
    expect(await counters.takeMany('window', 5, 7)).toBe(true);
    expect(await counters.takeMany('window', 3, 7)).toBe(false);
    expect(await counters.takeMany('window', 2, 7)).toBe(true);
    expect(await counters.take('window', 7)).toBe(false);
    expect(await counters.takeMany('other', 8, 7)).toBe(false);
    expect(await counters.takeMany('other', 7, 7)).toBe(true);
  });

  // Two batches (or processes) that each register a first gateway: neither is refused for the other's insert.
  it('grants a slot to each of two takers that create the same counter at once', async () => {
    const counters = connections.map((connection) => new BoundedCounters(connection.collection<CounterDocument>('created-at-once')));
    for (let round = 0; round < 5; round += 1) {
      const key = `companies:${round}`;
      expect(await Promise.all([counters[0].take(key, 100), counters[1].takeMany(key, 2, 100)])).toEqual([true, true]);
      const stored = await connections[0].collection<CounterDocument>('created-at-once').findOne({ _id: key });
      expect(stored?.count).toBe(3);
    }
  });

  it('drops the windows before the current one only', async () => {
    const counters = new BoundedCounters(connections[0].collection<CounterDocument>('windows'));
    for (const key of ['gateways:000000000001', 'gateways:000000000002', 'companies:000000000001']) await counters.take(key, 10);
    await counters.dropWindowsBefore('gateways', 'gateways:000000000002');
    const left = await connections[0].collection<CounterDocument>('windows').find().toArray();
    expect(left.map((document) => document._id).sort()).toEqual(['companies:000000000001', 'gateways:000000000002']);
  });
});

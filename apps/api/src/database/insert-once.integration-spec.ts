import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { insertOnce } from './insert-once';

describe('insertOnce (real database)', () => {
  const url = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  url.pathname = `/um-test-insert-once-${randomBytes(4).toString('hex')}`;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    connection = await mongoose.createConnection(url.toString()).asPromise();
  });

  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
  });

  it('inserts what is missing and leaves what is there as it is, whatever the order', async () => {
    const model = { collection: connection.collection('docs') };
    await insertOnce(model, [
      { _id: 'b', n: 1 },
      { _id: 'd', n: 1 },
    ]);
    // Duplicates first, between and last: FerretDB stops an unordered insert at its first duplicate.
    await insertOnce(
      model,
      ['a', 'b', 'c', 'd', 'e'].map((_id) => ({ _id, n: 2 })),
    );
    const stored = await connection.collection('docs').find({}).sort({ _id: 1 }).toArray();
    expect(stored.map(({ _id, n }) => [_id, n])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 2],
      ['d', 1],
      ['e', 2],
    ]);
  });
});

import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';

/**
 * A database of its own for the specs of one file, on the test run's server (MONGO_URL): connected
 * before them, dropped after them. Returns the connection's getter (it exists once beforeAll ran).
 */
export function useThrowawayDatabase(name: string, options: mongoose.ConnectOptions = {}): () => mongoose.Connection {
  const url = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  url.pathname = `/um-test-${name}-${randomBytes(4).toString('hex')}`;
  let connection: mongoose.Connection | undefined;

  beforeAll(async () => {
    connection = await mongoose.createConnection(url.toString(), options).asPromise();
  });

  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
  });

  return () => {
    if (!connection) throw new Error(`The database ${url.pathname} is not connected yet`);
    return connection;
  };
}

import mongoose from 'mongoose';
import { BENCH_COMPANY_ID } from './bench-fleet';

type MongoClient = InstanceType<typeof mongoose.mongo.MongoClient>;
type Db = ReturnType<MongoClient['db']>;

// Collection names and fields as the API's schemas write them (gateways, events).
const GATEWAYS = 'gateways';
const EVENTS = 'events';
const SEED_BATCH = 1000;
// No single read or write of the benchmark may hang the run.
const OPERATION_TIMEOUT_MS = 120_000;

/** A filter on gatewayId for every id that starts with `prefix` (a range, so that an index serves it). */
export function gatewayIdPrefix(prefix: string): { $gte: string; $lt: string } {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { $gte: prefix, $lt: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}

export interface TargetCounts {
  confirmed: number;
  failed: number;
}

/**
 * Direct reads of the API's database: the benchmark checks what is persisted, not what the API
 * says. Counts are limited to the run's own gateways: the API also registers any other gateway
 * that happens to talk on the shared broker during the run.
 */
export class BenchDatabase {
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  static async connect(mongoUrl: string): Promise<BenchDatabase> {
    const client = new mongoose.mongo.MongoClient(mongoUrl, { serverSelectionTimeoutMS: 10_000, timeoutMS: OPERATION_TIMEOUT_MS });
    await client.connect();
    return new BenchDatabase(client, client.db());
  }

  get name(): string {
    return this.db.databaseName;
  }

  countGateways(filter: Record<string, unknown> = {}): Promise<number> {
    return this.db.collection(GATEWAYS).countDocuments(filter);
  }

  countGatewaysAtVersion(prefix: string, version: string): Promise<number> {
    return this.countGateways({ gatewayId: gatewayIdPrefix(prefix), version });
  }

  /** Ids of the registered gateways that start with `prefix`. */
  async gatewayIds(prefix: string): Promise<Set<string>> {
    const documents = await this.db
      .collection(GATEWAYS)
      .find({ gatewayId: gatewayIdPrefix(prefix) }, { projection: { _id: 0, gatewayId: 1 } })
      .toArray();
    return new Set(documents.map((document) => String(document['gatewayId'])));
  }

  /** The deployment's targets decided, as their outcome events record them (a decision is its event). */
  async targetCounts(deploymentId: string, prefix: string): Promise<TargetCounts> {
    // One pass over the deployment's outcome events instead of one count per type.
    const groups = await this.db
      .collection(EVENTS)
      .aggregate<{ _id: string; count: number }>([
        { $match: { 'details.deploymentId': deploymentId, gatewayId: gatewayIdPrefix(prefix), type: { $in: ['upgrade.confirmed', 'upgrade.failed'] } } },
        { $group: { _id: '$type', count: { $sum: 1 } } },
      ])
      .toArray();
    const count = (type: string) => groups.find((group) => group._id === type)?.count ?? 0;
    return { confirmed: count('upgrade.confirmed'), failed: count('upgrade.failed') };
  }

  /** Inserts `count` gateways as a Status would have created them, last seen at spread-out times in the past day. */
  async seedGateways(prefix: string, count: number): Promise<void> {
    const now = Date.now();
    for (let start = 0; start < count; start += SEED_BATCH) {
      const batch = Array.from({ length: Math.min(SEED_BATCH, count - start) }, (_, i) => {
        const lastSeenAt = new Date(now - Math.floor(Math.random() * 86_400_000));
        return {
          gatewayId: `${prefix}-${start + i + 1}`,
          companyId: BENCH_COMPANY_ID,
          name: null,
          version: '0.5',
          lastUpgradeAt: null,
          lastSeenAt,
          address: null,
          latitude: null,
          longitude: null,
          enabled: true,
          upgrade: null,
          createdAt: lastSeenAt,
          updatedAt: lastSeenAt,
        };
      });
      await this.db.collection(GATEWAYS).insertMany(batch, { ordered: false });
    }
  }

  async deleteGateways(prefix: string): Promise<void> {
    await this.db.collection(GATEWAYS).deleteMany({ gatewayId: gatewayIdPrefix(prefix) });
  }

  async drop(): Promise<void> {
    await this.db.dropDatabase();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

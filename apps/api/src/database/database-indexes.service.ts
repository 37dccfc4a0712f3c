import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection, IndexDefinition, IndexOptions, mongo } from 'mongoose';

/** The indexes to build: all of them, or only those that enforce uniqueness. */
export type IndexSelection = 'all' | 'unique';

/**
 * FerretDB 1.x (SQLite backend) never answers a query from a secondary index (it pushes down
 * only `_id` lookups) but still updates every index on every write: with seven secondary indexes
 * on a collection of 10,000 gateways an update costs 0.66 ms instead of 0.36 ms. There, only the indexes
 * that enforce uniqueness are worth building. MongoDB gets every declared index.
 */
export function indexesToBuild(indexes: readonly [IndexDefinition, IndexOptions][], selection: IndexSelection): [IndexDefinition, IndexOptions][] {
  return selection === 'all' ? [...indexes] : indexes.filter(([, options]) => options.unique === true);
}

/** Builds the indexes the schemas declare (Mongoose's autoIndex is off, see DatabaseModule). */
@Injectable()
export class DatabaseIndexes implements OnApplicationBootstrap {
  private readonly logger = new Logger(DatabaseIndexes.name);

  constructor(@InjectConnection() private readonly connection: Connection) {}

  // Like autoIndex, this does not hold up the start: the database may still be coming up.
  onApplicationBootstrap(): void {
    this.build().catch((error: Error) => this.logger.error(`Could not build the database indexes: ${error.message}`));
  }

  async build(): Promise<void> {
    const selection = (await this.isFerretDb()) ? 'unique' : 'all';
    if (selection === 'unique') this.logger.log('FerretDB: building only the unique indexes (it does not use the others for queries)');
    for (const model of Object.values(this.connection.models)) {
      for (const [fields, options] of indexesToBuild(model.schema.indexes(), selection)) {
        // One index the engine refuses (FerretDB has no TTL indexes) must not cost the others.
        await model.collection
          .createIndex(fields as mongo.IndexSpecification, options as mongo.CreateIndexesOptions)
          .catch((error: Error) => this.logger.warn(`Index ${JSON.stringify(fields)} on ${model.collection.name} not built: ${error.message}`));
      }
    }
  }

  private async isFerretDb(): Promise<boolean> {
    const db = this.connection.db ?? (await this.connection.asPromise()).db;
    if (!db) throw new Error('no database connection');
    const info = await db.admin().command({ buildInfo: 1 });
    return 'ferretdbVersion' in info;
  }
}

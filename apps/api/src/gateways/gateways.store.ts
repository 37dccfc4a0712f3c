import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model, mongo } from 'mongoose';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
import { driverCollection } from '../database/driver-collection';
import { conditionalUpserts } from '../database/conditional-upserts';
import { readsById } from '../database/reads-by-id';
import { tolerantBulkWrite } from '../database/tolerant-bulk-write';
import { groupsOfEqual, updateListed, updateListedInCommands } from '../database/updates-by-id-list';
import { commandBulkWriter } from '../database/write-commands';
import { Gateway, type GatewayUpgrade } from './gateway.schema';
import { statusDocument, statusUpsert, type StatusWrite } from './gateway-status-writes';
import { DUPLICATE_KEY } from '../database/duplicate-key';

export type { StatusWrite } from './gateway-status-writes';

/**
 * Inserts per command of the first Statuses. FerretDB's limit on statements per command is on
 * updates (each holds a pooled connection, see MAX_STATEMENTS_PER_WRITE); an insert command is one
 * transaction, and going on past duplicate keys (ordered: false) it inserts the rest as MongoDB does.
 * 1,000 gateways cost FerretDB 334 ms in commands of 20 and 168 ms in commands of 100 (measured here).
 */
export const FIRST_STATUS_INSERTS_PER_WRITE = 250;

/** What inserting gateways by their first Status did (see insertFirstStatuses). */
export interface FirstStatusResult {
  /** Gateways created: registered, their Status stored. */
  inserted: Set<string>;
  /** Gateways that exist already: nothing written. */
  existing: Set<string>;
  /** Statuses the database refused for another reason: retrying cannot help. */
  refused: Array<{ gatewayId: string; message: string }>;
}

export interface StatusWriteResult {
  /** Gateways this write created (their first Status). */
  registered: Set<string>;
  /** Statuses not written: the gateway's stored Status was sent later (another API process wrote it first). */
  stale: Set<string>;
  /** Statuses the database refused (e.g. a gateway document whose _id is not its gatewayId): retrying cannot help. */
  refused: Array<{ gatewayId: string; message: string }>;
}

/** What deciding whether a gateway may be a deployment target needs. */
export type TargetCandidate = Pick<Gateway, 'gatewayId' | 'companyId' | 'enabled' | 'admission' | 'protocol'>;

/** What serving a gateway's request needs. */
export type RequestState = Pick<Gateway, 'companyId' | 'enabled' | 'admission'>;

/** What a gateway's latest Status left: its version and when it was last heard from. */
export type ReportedStatus = Pick<Gateway, 'version' | 'lastSeenAt'>;

/**
 * The one owner of the gateways collection's writes (and of the reads by gateway that decide
 * them). Every write goes by `_id` (or a list of `_id`s), the only lookups the project's FerretDB
 * build does not scan for, in bulk writes chunked below what FerretDB can take in one command.
 */
@Injectable()
export class GatewaysStore {
  // The driver's collection, for the hot writes: Mongoose's casting of each statement cost more
  // API CPU than building it. Those statements are complete as built (defaults, timestamps).
  private readonly collection: mongo.Collection<{ _id: string }>;
  // The Statuses' upserts and inserts: one database command per chunk (see write-commands.ts).
  private readonly statusWrites: ReturnType<typeof commandBulkWriter>;

  constructor(@InjectModel(Gateway.name) private readonly gateways: Model<Gateway>) {
    // Typed with the string _id the schema declares (the driver's default type assumes an ObjectId).
    this.collection = driverCollection<string>(gateways);
    this.statusWrites = commandBulkWriter(gateways);
  }

  /**
   * Writes a batch of Statuses, one conditional upsert per gateway (never over a Status sent
   * later); a refused one does not hold up the others.
   */
  async upsertStatuses(statuses: readonly StatusWrite[], registrationFields: Record<string, unknown>): Promise<StatusWriteResult> {
    const now = new Date();
    const result = await conditionalUpserts(
      this.statusWrites,
      statuses.map((status) => statusUpsert(status, registrationFields, now)),
      (indices) =>
        this.existing(
          indices.map((index) => statuses[index].gatewayId),
          indices,
        ),
    );
    return {
      registered: new Set(Object.keys(result.upsertedIds).map((index) => statuses[Number(index)].gatewayId)),
      stale: new Set(result.unmatched.map((index) => statuses[index].gatewayId)),
      refused: result.rejected.map(({ index, message }) => ({ gatewayId: statuses[index].gatewayId, message })),
    };
  }

  /**
   * Creates the gateways of these first Statuses; one that exists already is left as it is
   * (`existing`: its Status is for `upsertStatuses`). An insert costs FerretDB less than half an
   * upsert, and most first Statuses are of new gateways.
   */
  async insertFirstStatuses(statuses: readonly StatusWrite[], registrationFields: Record<string, unknown>): Promise<FirstStatusResult> {
    const now = new Date();
    const result = await tolerantBulkWrite(
      this.statusWrites,
      statuses.map((status) => ({ insertOne: { document: statusDocument(status, registrationFields, now) } })),
      FIRST_STATUS_INSERTS_PER_WRITE,
    );
    const outcome: FirstStatusResult = { inserted: new Set(statuses.map(({ gatewayId }) => gatewayId)), existing: new Set(), refused: [] };
    for (const { index, code, message } of result.rejected) {
      const { gatewayId } = statuses[index];
      outcome.inserted.delete(gatewayId);
      if (code === DUPLICATE_KEY) outcome.existing.add(gatewayId);
      else outcome.refused.push({ gatewayId, message });
    }
    return outcome;
  }

  // Rare: only Statuses refused twice.
  private async existing(gatewayIds: readonly string[], indices: readonly number[]): Promise<Set<number>> {
    const found = await readsById(
      gatewayIds,
      (ids) => this.collection.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray(),
      (gateway) => gateway._id,
    );
    const foundIds = new Set(found.map((gateway) => gateway._id));
    return new Set(indices.filter((_, position) => foundIds.has(gatewayIds[position])));
  }

  /** Gateways heard from (without a Status) at `seenAt` or later; never moves liveness back, never creates a gateway. */
  async touchLiveness(gatewayIds: readonly string[], seenAt: Date): Promise<void> {
    const update = { $max: { lastSeenAt: seenAt }, $set: { updatedAt: new Date() } };
    await updateListed(gatewayIds, (ids) => this.collection.updateMany({ _id: { $in: ids } }, update));
  }

  /**
   * The gateways' copy of the deployment just started to them: pending. Written after its Upgrade
   * went out, so only where the copy is of an older deployment (or none): a decision about this
   * deployment, or a newer deployment's copy, written meanwhile by any API process, stays.
   */
  async setPendingUpgrades(gatewayIds: readonly string[], upgrade: { deploymentId: string; version: string; startedAt: Date }): Promise<void> {
    const pending: GatewayUpgrade = { ...upgrade, status: 'pending' };
    const update = { $set: { upgrade: pending, updatedAt: new Date() } };
    // Each deployment's: the database's own update command (see updateListedInCommands).
    await updateListedInCommands(this.gateways, gatewayIds, (ids) => ({ q: { _id: { $in: ids }, $or: olderCopy(upgrade.startedAt) }, u: update }));
  }

  /**
   * The gateways' copy of their decided upgrades (confirmed or failed), one updateMany per equal
   * upgrade; a gateway listed twice gets its last. `overOlderOnly`: a gateway whose copy is of a
   * newer deployment keeps it (a decision applied again, long after it was taken).
   */
  async setUpgradeOutcomes(outcomes: ReadonlyArray<{ gatewayId: string; upgrade: GatewayUpgrade }>, { overOlderOnly = false } = {}): Promise<void> {
    const last = new Map(outcomes.map((outcome) => [outcome.gatewayId, outcome]));
    for (const group of groupsOfEqual([...last.values()], ({ upgrade }) => upgrade)) {
      const { upgrade } = group[0];
      const update = { $set: { upgrade } };
      const condition = overOlderOnly ? { $or: [{ 'upgrade.deploymentId': upgrade.deploymentId }, ...olderCopy(upgrade.startedAt)] } : {};
      await updateListed(
        group.map(({ gatewayId }) => gatewayId),
        (ids) => this.gateways.updateMany({ _id: { $in: ids }, ...condition }, update).exec(),
      );
    }
  }

  /** An operator's edit, conditional on the company read before (a concurrent move is not undone); null when that no longer holds. */
  edit(gatewayId: string, companyId: string, changes: Partial<Gateway>): Promise<Gateway | null> {
    return this.gateways.findOneAndUpdate({ _id: gatewayId, companyId }, { $set: changes }, { new: true }).lean<Gateway>().exec();
  }

  /** New tag lists, each conditional on the tags read before, so that a concurrent edit is not overwritten. */
  async retag(changes: ReadonlyArray<{ gatewayId: string; before: readonly string[]; tags: string[] }>): Promise<void> {
    await chunkedBulkWrite(
      this.gateways,
      changes.map(({ gatewayId, before, tags }) => ({ updateOne: { filter: { _id: gatewayId, ...sameTags(before) }, update: { $set: { tags } } } })),
    );
  }

  /** The company a gateway registered with; undefined when it is not registered. */
  async registeredCompany(gatewayId: string): Promise<string | undefined> {
    // Read for every gateway a process has not seen yet (each one after a restart): the driver's findOne, without a Mongoose query.
    const gateway = await this.collection.findOne<Pick<Gateway, 'companyId'>>({ _id: gatewayId }, { projection: { _id: 0, companyId: 1 } });
    return gateway?.companyId;
  }

  /** Whether a gateway is enabled and accepted, and its company; null when it is not registered. */
  requestState(gatewayId: string): Promise<RequestState | null> {
    return this.gateways.findOne({ _id: gatewayId }, { _id: 0, companyId: 1, enabled: 1, admission: 1 }).lean<RequestState>().exec();
  }

  /** The version and liveness each gateway's latest Status left, by gateway id; those not registered are left out. */
  async reportedStatuses(gatewayIds: readonly string[]): Promise<Map<string, ReportedStatus>> {
    const found = await readsById(
      gatewayIds,
      (ids) => this.collection.find<ReportedStatus & { _id: string }>({ _id: { $in: ids } }, { projection: { _id: 1, version: 1, lastSeenAt: 1 } }).toArray(),
      (gateway) => gateway._id,
    );
    return new Map(found.map(({ _id, version, lastSeenAt }) => [_id, { version, lastSeenAt }]));
  }

  /** The gateways' copy of their latest upgrade (null: none), by gateway id; gateways not found are left out. */
  async upgradeCopies(gatewayIds: readonly string[]): Promise<Map<string, GatewayUpgrade | null>> {
    const found = await readsById(
      gatewayIds,
      (ids) => this.collection.find<{ _id: string; upgrade?: GatewayUpgrade | null }>({ _id: { $in: ids } }, { projection: { _id: 1, upgrade: 1 } }).toArray(),
      (gateway) => gateway._id,
    );
    return new Map(found.map(({ _id, upgrade }) => [_id, upgrade ?? null]));
  }

  /**
   * Candidates for a deployment within `scope`: the listed gateways (those found, in the list's
   * order), or every gateway in the scope by gateway id.
   */
  async findTargets(scope: FilterQuery<Gateway>, gatewayIds?: readonly string[]): Promise<TargetCandidate[]> {
    const projection = { _id: 0, gatewayId: 1, companyId: 1, enabled: 1, admission: 1, protocol: 1 } as const;
    if (gatewayIds === undefined) return this.gateways.find(scope, projection).sort({ gatewayId: 1 }).lean<TargetCandidate[]>();
    return readsById(
      gatewayIds,
      (ids) =>
        this.gateways
          .find({ ...scope, _id: { $in: ids } }, projection)
          .lean<TargetCandidate[]>()
          .exec(),
      (gateway) => gateway.gatewayId,
    );
  }

  /** Of these gateways, the ones whose latest Status announced protocol v2. */
  async protocolV2Among(gatewayIds: readonly string[]): Promise<Set<string>> {
    const speakers = await readsById(
      gatewayIds,
      (ids) => this.collection.find<{ _id: string }>({ _id: { $in: ids }, protocol: 2 }, { projection: { _id: 1 } }).toArray(),
      (gateway) => gateway._id,
    );
    return new Set(speakers.map((gateway) => gateway._id));
  }
}

function sameTags(tags: readonly string[]): Record<string, unknown> {
  if (tags.length === 0) return { $or: [{ tags: { $size: 0 } }, { tags: { $exists: false } }] };
  return { tags: { $size: tags.length, $all: tags } };
}

/** A gateway's copy of an upgrade older than one started at `startedAt` (or none). */
function olderCopy(startedAt: Date | undefined): Record<string, unknown>[] {
  return [{ upgrade: null }, { 'upgrade.startedAt': { $lt: startedAt } }, { 'upgrade.startedAt': { $exists: false } }];
}

import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { driverCollection } from '../database/driver-collection';
import { EventsService } from '../events/events.service';
import { idLists } from '../database/id-lists';
import { readsById } from '../database/reads-by-id';
import type { StoredDeployment } from './deployment.mapper';
import { DeploymentTargetList } from './deployment-target-list.schema';
import { DeploymentTarget } from './deployment-target.schema';
import { Deployment } from './deployment.schema';
import type { StoredTarget } from './pending-targets';
import { decidedTarget, outcomeEventId, outcomeStatus } from './target-decision';
import { currentTargets } from './target-decision-documents';
import { listedTargets, listIds, targetId, targetLists, TARGETS_PER_LIST } from './target-lists';

type OutcomeEvent = Awaited<ReturnType<EventsService['findOutcomes']>>[number];

/** What of a deployment says where its targets are. */
export type TargetsShape = Pick<StoredDeployment, '_id' | 'targetCount' | 'companyTargetCounts'>;
export const TARGETS_SHAPE_FIELDS = { targetCount: 1, companyTargetCounts: 1 } as const;

/** A target by its deployment and gateway. */
export interface TargetRef {
  deploymentId: string;
  gatewayId: string;
}

/** A decision recorded for a target. */
export type RecordedDecision = Pick<StoredTarget, 'deploymentId' | 'gatewayId' | 'status'>;

/** Which targets of a deployment to read: one company's, some gateways'. */
export interface TargetsWanted {
  companyId?: string | null;
  gatewayIds?: readonly string[];
}

// Gateway ids per query of a deployment written by an earlier version (a scan on FerretDB).
const GATEWAYS_PER_SCAN = 100;

/**
 * Deployments list their targets (deployment_target_lists, by `_id`), and a listed target's
 * decision is its outcome event (`events`, under `outcomeEventId`, see target-decision.ts): a
 * target costs no document of its own, and every read goes by `_id`. Until 2026-12-03 a decided
 * listed target also got a decision document in `deployment_targets`, a copy of its event under the
 * same `_id`, always written after the event: the event alone says what it says.
 * Deployments written before lists (no `companyTargetCounts`) have a document per target as created
 * beside their decision documents, read and written as they were (target-decision-documents.ts).
 */
@Injectable()
export class DeploymentTargetsStore {
  constructor(
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(DeploymentTargetList.name) private readonly lists: Model<DeploymentTargetList>,
    @InjectModel(Deployment.name) private readonly deployments: Model<Deployment>,
    private readonly events: EventsService,
  ) {}

  /** Records the targets of a new deployment as created (pending). */
  async insert(deploymentId: string, targets: readonly StoredTarget[]): Promise<void> {
    if (targets.length === 0) return;
    // The driver's insert: the documents are complete as built.
    await driverCollection<string>(this.lists).insertMany(targetLists(deploymentId, targets), { ordered: false });
  }

  /** The targets of one deployment, each as decided where a decision is recorded, in the order created. */
  async current(deployment: TargetsShape, wanted: TargetsWanted = {}): Promise<StoredTarget[]> {
    const deploymentId = deployment._id.toString();
    if (!listsTargets(deployment)) return this.documentsOf(deploymentId, wanted);
    const lists = await readsById(
      listIds(deploymentId, deployment.targetCount),
      (ids) =>
        this.lists
          .find({ _id: { $in: ids } })
          .lean<DeploymentTargetList[]>()
          .exec(),
      (list) => list._id,
    );
    const gatewayIds = wanted.gatewayIds ? new Set(wanted.gatewayIds) : null;
    const listed = listedTargets(lists).filter(
      (target) => (!wanted.companyId || target.companyId === wanted.companyId) && (!gatewayIds || gatewayIds.has(target.gatewayId)),
    );
    return this.asDecided(listed);
  }

  /**
   * Targets `offset` to `offset + limit` of a deployment in the order created, each as decided:
   * reads only the lists of those targets and their decisions, by `_id`. Null for a deployment
   * of an earlier version (read it whole with `current`).
   */
  async page(deployment: TargetsShape, offset: number, limit: number): Promise<StoredTarget[] | null> {
    if (!listsTargets(deployment)) return null;
    const end = Math.min(deployment.targetCount, offset + limit);
    if (offset >= end) return [];
    const firstList = Math.floor(offset / TARGETS_PER_LIST);
    const ids = listIds(deployment._id.toString(), deployment.targetCount).slice(firstList, Math.floor((end - 1) / TARGETS_PER_LIST) + 1);
    const lists = await readsById(
      ids,
      (listed) =>
        this.lists
          .find({ _id: { $in: listed } })
          .lean<DeploymentTargetList[]>()
          .exec(),
      (list) => list._id,
    );
    const skipped = firstList * TARGETS_PER_LIST;
    return this.asDecided(listedTargets(lists).slice(offset - skipped, end - skipped));
  }

  // Listed targets, each as its outcome event decided it where one is recorded (the decision
  // documents written beside the events before 2026-12-03 are copies of them).
  private async asDecided(listed: StoredTarget[]): Promise<StoredTarget[]> {
    const outcomes = await this.outcomesOf(listed);
    return listed.map((target, index) => {
      const event = outcomes[index];
      return event ? decidedTarget(target, event) : target;
    });
  }

  // The outcome event of each target (by `_id`), in the targets' order; undefined where none is recorded.
  private async outcomesOf(targets: readonly Pick<StoredTarget, '_id'>[]): Promise<(OutcomeEvent | undefined)[]> {
    const eventIds = targets.map((target) => outcomeEventId(target).toHexString());
    const found = await readsById(
      eventIds,
      (ids) => this.events.findOutcomes(ids),
      (event) => event._id.toHexString(),
    );
    const byId = new Map(found.map((event) => [event._id.toHexString(), event]));
    return eventIds.map((id) => byId.get(id));
  }

  /**
   * The decisions recorded among these targets of deployments that list them (each outcome event
   * is found by `_id` from deployment and gateway alone): a query by `_id` per IDS_PER_READ
   * targets that reads nothing else, and finds nothing for the undecided ones.
   */
  async decisionsOf(targets: readonly TargetRef[]): Promise<RecordedDecision[]> {
    const listed = targets.map(({ deploymentId, gatewayId }) => ({ _id: targetId(deploymentId, gatewayId), deploymentId, gatewayId }));
    const outcomes = await this.outcomesOf(listed);
    return listed.flatMap(({ deploymentId, gatewayId }, index) => {
      const event = outcomes[index];
      return event ? [{ deploymentId, gatewayId, status: outcomeStatus(event) }] : [];
    });
  }

  /** The targets still pending of these deployments, oldest first. */
  async undecided(deployments: readonly TargetsShape[]): Promise<StoredTarget[]> {
    return (await this.currentOf(deployments)).filter((target) => target.status === 'pending').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Every target of these deployments, each as decided where a decision is recorded. */
  async currentOf(deployments: readonly TargetsShape[]): Promise<StoredTarget[]> {
    const earlier = deployments.filter((deployment) => !listsTargets(deployment)).map((deployment) => deployment._id.toString());
    // Earlier deployments together: one scan for all of them.
    const found = earlier.length === 0 ? [] : currentTargets(await this.targets.find({ deploymentId: { $in: earlier } }).lean<StoredTarget[]>());
    for (const deployment of deployments.filter(listsTargets)) found.push(...(await this.current(deployment)));
    return found;
  }

  /** `undecided` of deployments by id (those not found have none). */
  async undecidedOf(deploymentIds: readonly string[]): Promise<StoredTarget[]> {
    if (deploymentIds.length === 0) return [];
    return this.undecided(await this.shapesOf(deploymentIds));
  }

  /** What `current` needs of these deployments. */
  shapesOf(deploymentIds: readonly string[]): Promise<TargetsShape[]> {
    return this.deployments
      .find({ _id: { $in: deploymentIds } }, TARGETS_SHAPE_FIELDS)
      .lean<TargetsShape[]>()
      .exec();
  }

  // A deployment of an earlier version: its targets and their decisions are documents.
  private async documentsOf(deploymentId: string, { companyId, gatewayIds }: TargetsWanted): Promise<StoredTarget[]> {
    const scope = { deploymentId, ...(companyId ? { companyId } : {}) };
    const read = (filter: Record<string, unknown>) =>
      this.targets
        .find({ ...scope, ...filter })
        .sort({ createdAt: 1 })
        .lean<StoredTarget[]>()
        .exec();
    if (!gatewayIds) return currentTargets(await read({}));
    const found: StoredTarget[] = [];
    for (const listed of idLists(gatewayIds, GATEWAYS_PER_SCAN)) found.push(...currentTargets(await read({ gatewayId: { $in: listed } })));
    return found;
  }
}

/** True for deployments whose targets are in deployment_target_lists (see DeploymentTargetsStore). */
export function listsTargets(deployment: Pick<TargetsShape, 'companyTargetCounts'>): boolean {
  return Array.isArray(deployment.companyTargetCounts);
}

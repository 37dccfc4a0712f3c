import type { Types } from 'mongoose';
import type { DeploymentTarget } from './deployment-target.schema';

/** A deployment target still waiting for its gateway, as stored. */
export type StoredTarget = DeploymentTarget & { _id: Types.ObjectId; createdAt: Date };

/**
 * The pending targets, one per gateway at most (a newer deployment supersedes the older one), kept
 * in memory by the tracker so that a Status or a time-out sweep finds its target without a query.
 * The database stays the record: the tracker loads this from it at start and changes both together.
 */
export class PendingTargets {
  private readonly byGateway = new Map<string, StoredTarget>();

  get size(): number {
    return this.byGateway.size;
  }

  of(gatewayId: string): StoredTarget | undefined {
    return this.byGateway.get(gatewayId);
  }

  /** Adds targets; returns those that were already pending for one of their gateways (now replaced). */
  add(targets: readonly StoredTarget[]): StoredTarget[] {
    const replaced: StoredTarget[] = [];
    for (const target of targets) {
      const earlier = this.byGateway.get(target.gatewayId);
      if (earlier && earlier.createdAt > target.createdAt) {
        replaced.push(target);
        continue;
      }
      if (earlier) replaced.push(earlier);
      this.byGateway.set(target.gatewayId, target);
    }
    return replaced;
  }

  /** Removes targets that are no longer pending; a newer target of the same gateway stays. */
  remove(targets: readonly StoredTarget[]): void {
    for (const target of targets) {
      if (this.byGateway.get(target.gatewayId)?._id.equals(target._id)) this.byGateway.delete(target.gatewayId);
    }
  }

  overdue(now: Date): StoredTarget[] {
    return [...this.byGateway.values()].filter((target) => target.deadline <= now);
  }

  ofDeployment(deploymentId: string, gatewayIds: readonly string[]): StoredTarget[] {
    return gatewayIds.flatMap((gatewayId) => {
      const target = this.byGateway.get(gatewayId);
      return target && target.deploymentId === deploymentId ? [target] : [];
    });
  }

  clear(): void {
    this.byGateway.clear();
  }
}

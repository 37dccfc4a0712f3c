import type { DeploymentTarget } from './deployment-target.schema';

/** A deployment target still waiting for its gateway, as stored. */
export type StoredTarget = DeploymentTarget & { createdAt: Date };

/**
 * The pending targets as this API process knows them, one per gateway at most (a newer deployment
 * supersedes the older one), so that a Status finds its target without a query. Only a hint: every
 * decision is a conditional write on the target (`_id` and status pending) that another process
 * may have won; the tracker loads this at start and hears of other processes' deployments.
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
      if (String(this.byGateway.get(target.gatewayId)?._id) === String(target._id)) this.byGateway.delete(target.gatewayId);
    }
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

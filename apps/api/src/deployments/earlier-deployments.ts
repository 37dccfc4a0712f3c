import type { Model } from 'mongoose';
import type { DeploymentTarget } from './deployment-target.schema';
import type { Deployment } from './deployment.schema';

/**
 * Deployments written by an API version before decision documents have no `settled` field, and
 * their targets were decided in place. Those with no pending target left are marked settled, the
 * others not settled, so that a process starting on such a database loads only what is undecided
 * instead of every target ever deployed. Idempotent: processes starting together write the same.
 */
export async function settleEarlierDeployments(deployments: Model<Deployment>, targets: Model<DeploymentTarget>): Promise<number> {
  const earlier = await deployments.find({ settled: { $exists: false } }, { _id: 1 }).lean<{ _id: unknown }[]>();
  if (earlier.length === 0) return 0;
  const ids = earlier.map(({ _id }) => String(_id));
  const open = new Set((await targets.distinct('deploymentId', { status: 'pending', deploymentId: { $in: ids } })).map(String));
  const settled = ids.filter((id) => !open.has(id));
  if (settled.length > 0) await deployments.updateMany({ _id: { $in: settled }, settled: { $exists: false } }, { $set: { settled: true } });
  if (open.size > 0) await deployments.updateMany({ _id: { $in: [...open] }, settled: { $exists: false } }, { $set: { settled: false } });
  return settled.length;
}

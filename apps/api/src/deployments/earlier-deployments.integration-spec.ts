import { Types } from 'mongoose';
import { useThrowawayDatabase } from '../../test/throwaway-database';
import { DeploymentTarget, DeploymentTargetSchema } from './deployment-target.schema';
import { Deployment, DeploymentSchema } from './deployment.schema';
import { settleEarlierDeployments } from './earlier-deployments';

describe('settleEarlierDeployments (real database)', () => {
  const database = useThrowawayDatabase('earlier-deployments');

  it('settles the earlier version’s deployments with nothing pending, leaves the others to the sweep, and touches no newer one', async () => {
    const deployments = database().model(Deployment.name, DeploymentSchema);
    const targets = database().model(DeploymentTarget.name, DeploymentTargetSchema);
    const [done, open, newer] = [new Types.ObjectId(), new Types.ObjectId(), new Types.ObjectId()];
    // As the earlier version wrote them: no `settled`, targets decided in place.
    const earlier = { version: '1.1', scope: 'list', companyIds: ['2'], targetCount: 2 };
    await deployments.collection.insertMany([
      { _id: done, ...earlier },
      { _id: open, ...earlier },
      { _id: newer, ...earlier, settled: false },
    ]);
    const target = (deploymentId: Types.ObjectId, gatewayId: string, status: string) => ({
      deploymentId: deploymentId.toString(),
      gatewayId,
      companyId: '2',
      version: '1.1',
      status,
      deadline: new Date(),
    });
    await targets.collection.insertMany([
      target(done, 'gw-1', 'confirmed'),
      target(done, 'gw-2', 'failed'),
      target(open, 'gw-1', 'confirmed'),
      target(open, 'gw-2', 'pending'),
      target(newer, 'gw-3', 'pending'),
    ]);

    expect(await settleEarlierDeployments(deployments, targets)).toBe(1);
    const flags = async () =>
      Object.fromEntries((await deployments.collection.find({}).toArray()).map(({ _id, settled }) => [String(_id), settled as unknown]));
    expect(await flags()).toEqual({ [String(done)]: true, [String(open)]: false, [String(newer)]: false });
    // Once done, a start finds nothing to do.
    expect(await settleEarlierDeployments(deployments, targets)).toBe(0);
    expect(await flags()).toEqual({ [String(done)]: true, [String(open)]: false, [String(newer)]: false });
  });
});

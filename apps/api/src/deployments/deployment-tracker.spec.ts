import { Types } from 'mongoose';
import { groupChanges, type StoredTarget, type TargetChange } from './deployment-tracker.service';

function change(deploymentId: string, gatewayId: string, transition: Omit<TargetChange, 'target'>): TargetChange {
  const target: StoredTarget = {
    _id: new Types.ObjectId(),
    deploymentId,
    gatewayId,
    companyId: '2',
    version: '1.0',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline: new Date(),
    createdAt: new Date(),
  };
  return { target, ...transition };
}

describe('groupChanges', () => {
  it('puts changes that write the same values together, per deployment', () => {
    const confirmed = { status: 'confirmed', reason: null, reportedVersion: '1.0' } as const;
    const changes = [
      change('d1', 'gw-1', confirmed),
      change('d1', 'gw-2', { status: 'failed', reason: 'reported-version', reportedVersion: '0.5' }),
      change('d1', 'gw-3', confirmed),
      change('d2', 'gw-4', confirmed),
      change('d1', 'gw-5', { status: 'failed', reason: 'reported-version', reportedVersion: '0.9' }),
    ];
    const groups = groupChanges(changes);
    expect(groups.map((group) => [group.deploymentId, group.status, group.reportedVersion, group.changes.map((c) => c.target.gatewayId)])).toEqual([
      ['d1', 'confirmed', '1.0', ['gw-1', 'gw-3']],
      ['d1', 'failed', '0.5', ['gw-2']],
      ['d2', 'confirmed', '1.0', ['gw-4']],
      ['d1', 'failed', '0.9', ['gw-5']],
    ]);
  });
});

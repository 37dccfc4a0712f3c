import { Types } from 'mongoose';
import { PendingTargets, type StoredTarget } from './pending-targets';

function target(deploymentId: string, gatewayId: string, createdAt: Date, deadline = new Date('2026-01-01T01:00:00Z')): StoredTarget {
  return {
    _id: new Types.ObjectId(),
    deploymentId,
    gatewayId,
    companyId: '2',
    version: '1.0',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline,
    createdAt,
  };
}

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:01:00Z');

describe('PendingTargets', () => {
  it('keeps one target per gateway and hands back the one a newer deployment replaces', () => {
    const pending = new PendingTargets();
    const older = target('d1', 'gw-1', t0);
    expect(pending.add([older, target('d1', 'gw-2', t0)])).toEqual([]);
    const newer = target('d2', 'gw-1', t1);
    expect(pending.add([newer])).toEqual([older]);
    expect(pending.of('gw-1')).toBe(newer);
    expect(pending.size).toBe(2);
  });

  it('never lets an older target replace a newer one (targets loaded out of order)', () => {
    const pending = new PendingTargets();
    const newer = target('d2', 'gw-1', t1);
    const older = target('d1', 'gw-1', t0);
    pending.add([newer]);
    expect(pending.add([older])).toEqual([older]);
    expect(pending.of('gw-1')).toBe(newer);
  });

  it('removes a decided target but not a newer one of the same gateway', () => {
    const pending = new PendingTargets();
    const older = target('d1', 'gw-1', t0);
    pending.add([older]);
    pending.add([target('d2', 'gw-1', t1)]);
    pending.remove([older]);
    expect(pending.of('gw-1')?.deploymentId).toBe('d2');
    pending.remove([pending.of('gw-1') as StoredTarget]);
    expect(pending.of('gw-1')).toBeUndefined();
  });

  it('finds the overdue targets and those of one deployment', () => {
    const pending = new PendingTargets();
    pending.add([target('d1', 'gw-1', t0, t0), target('d1', 'gw-2', t0, t1), target('d2', 'gw-3', t0, t0)]);
    expect(pending.overdue(t0).map(({ gatewayId }) => gatewayId)).toEqual(['gw-1', 'gw-3']);
    expect(pending.ofDeployment('d1', ['gw-1', 'gw-3', 'gw-9']).map(({ gatewayId }) => gatewayId)).toEqual(['gw-1']);
  });
});

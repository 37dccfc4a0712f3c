import { Types } from 'mongoose';
import type { StoredTarget } from './pending-targets';
import { outcomeEventId } from './target-decision';
import { currentTargets, decisionDocument, undecidedTargets } from './target-decision-documents';

function target(gatewayId: string, deploymentId = 'd1'): StoredTarget {
  const createdAt = new Date('2026-01-01T00:00:00Z');
  return {
    _id: new Types.ObjectId(),
    deploymentId,
    gatewayId,
    companyId: 'co',
    version: '1.2',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline: new Date('2026-01-01T00:10:00Z'),
    createdAt,
    updatedAt: createdAt,
  };
}

describe('target decision documents', () => {
  it('copies the target with the decided fields under the id of its outcome event', () => {
    const pending = target('gw-a');
    const decidedAt = new Date('2026-01-01T00:01:00Z');
    const document = decisionDocument({ target: pending, status: 'failed', reason: 'reported-version', reportedVersion: '1.1' }, decidedAt);
    expect(document).toEqual({
      ...pending,
      _id: outcomeEventId(pending),
      status: 'failed',
      reason: 'reported-version',
      reportedVersion: '1.1',
      decision: true,
      updatedAt: decidedAt,
    });
  });

  it('keeps one document per target: its decision where there is one, in the order read', () => {
    const [a, b, c] = [target('gw-a'), target('gw-b'), target('gw-c')];
    const decidedB = decisionDocument({ target: b, status: 'confirmed', reason: null, reportedVersion: null }, new Date());
    // The same gateway in another deployment is another target.
    const otherDeployment = target('gw-b', 'd2');
    const read = [a, b, decidedB, c, otherDeployment];
    expect(currentTargets(read)).toEqual([a, decidedB, c, otherDeployment]);
    expect(undecidedTargets(read)).toEqual([a, c, otherDeployment]);
  });

  it('reads targets an earlier version decided in place as they are', () => {
    const legacy = { ...target('gw-a'), status: 'confirmed' as const };
    expect(currentTargets([legacy])).toEqual([legacy]);
    expect(undecidedTargets([legacy])).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { StoredTarget } from './pending-targets';
import { outcomeEventId } from './target-decision';
import { listedTargets, listIds, targetId, targetLists, TARGETS_PER_LIST } from './target-lists';

const createdAt = new Date('2026-01-01T00:00:00Z');
const deadline = new Date('2026-01-01T00:10:00Z');

function target(deploymentId: string, index: number): StoredTarget {
  return {
    _id: targetId(deploymentId, `gw-${index}`),
    deploymentId,
    gatewayId: `gw-${index}`,
    companyId: `co-${index % 3}`,
    version: '1.2',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline,
    ...(index % 5 === 0 ? { protocol: 2 as const } : {}),
    createdAt,
    updatedAt: createdAt,
  };
}

describe('target lists', () => {
  const deploymentId = new Types.ObjectId().toString();

  it('derives a target id from its deployment and gateway, and its outcome event id from that', () => {
    expect(targetId(deploymentId, 'gw-1').equals(targetId(deploymentId, 'gw-1'))).toBe(true);
    expect(targetId(deploymentId, 'gw-1').equals(targetId(deploymentId, 'gw-2'))).toBe(false);
    expect(targetId(deploymentId, 'gw-1').equals(targetId(new Types.ObjectId().toString(), 'gw-1'))).toBe(false);
    expect(outcomeEventId({ _id: targetId(deploymentId, 'gw-1') }).equals(targetId(deploymentId, 'gw-1'))).toBe(false);
  });

  it('keeps the ids stored by earlier versions: the first 24 hex digits of createHash sha256', () => {
    const legacy = (data: string) => createHash('sha256').update(data).digest('hex').slice(0, 24);
    expect(targetId('6750a1b2c3d4e5f601234567', 'gw-1').toHexString()).toBe('e7801aded47022c6b941a667');
    expect(outcomeEventId({ _id: new Types.ObjectId('e7801aded47022c6b941a667') }).toHexString()).toBe('4bf93f6f4a08f9d6a4b2b084');
    for (let index = 0; index < 200; index += 1) {
      const deployment = new Types.ObjectId().toString();
      const gatewayId = index % 2 === 0 ? `gw-${index}` : `gatewäy-${index}-${'x'.repeat(index)}`;
      const id = targetId(deployment, gatewayId);
      expect(id.toHexString()).toBe(legacy(`target:${deployment}:${gatewayId}`));
      expect(outcomeEventId({ _id: id }).toHexString()).toBe(legacy(`outcome:${id.toHexString()}`));
    }
  });

  it('lists the targets TARGETS_PER_LIST to a document and reads them back as created', () => {
    const targets = Array.from({ length: TARGETS_PER_LIST * 2 + 1 }, (_, index) => target(deploymentId, index));
    const lists = targetLists(deploymentId, targets);
    expect(lists.map((list) => list._id)).toEqual(listIds(deploymentId, targets.length));
    expect(lists.map((list) => list._id)).toEqual([0, 1, 2].map((n) => `${deploymentId}:${n}`));
    expect(lists.map((list) => list.gatewayIds.length)).toEqual([TARGETS_PER_LIST, TARGETS_PER_LIST, 1]);
    // Each company once per list.
    expect(lists[0].companyIds).toEqual(['co-0', 'co-1', 'co-2']);
    expect(listedTargets(lists)).toEqual(targets);
  });

  it('has no list for no target', () => {
    expect(listIds(deploymentId, 0)).toEqual([]);
    expect(targetLists(deploymentId, [])).toEqual([]);
  });
});

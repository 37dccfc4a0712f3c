import { Types } from 'mongoose';
import type { StoredTarget } from './pending-targets';
import type { GatewayUpgrade } from '../gateways/gateway.schema';
import { confirmedPerCompany, decidedTarget, decisionOf, outcomeEvent, outcomeEventId, recordedOutcome, unappliedDecisions } from './target-decision';

const target = {
  _id: new Types.ObjectId('65a000000000000000000001'),
  deploymentId: '65a0000000000000000000aa',
  gatewayId: 'gw-1',
  companyId: 'c1',
  version: '2.0',
  status: 'pending',
  reason: null,
  reportedVersion: null,
  deadline: new Date('2026-01-01T00:10:00Z'),
  createdAt: new Date('2026-01-01T00:00:00Z'),
} as StoredTarget;

describe('target decisions', () => {
  it('give every decision about one target the same event id, and other targets other ids', () => {
    const other = { ...target, _id: new Types.ObjectId('65a000000000000000000002') };
    expect(outcomeEventId(target).equals(outcomeEventId({ _id: new Types.ObjectId(target._id.toHexString()) }))).toBe(true);
    expect(outcomeEventId(target).equals(outcomeEventId(other))).toBe(false);
    const confirmed = outcomeEvent({ target, status: 'confirmed', reason: null, reportedVersion: '2.0' });
    const timedOut = outcomeEvent({ target, status: 'failed', reason: 'timeout', reportedVersion: null });
    expect(confirmed.id.equals(timedOut.id)).toBe(true);
  });

  it('read a recorded decision back from its event', () => {
    const failed = outcomeEvent({ target, status: 'failed', reason: 'reported-version', reportedVersion: '1.9' });
    expect(recordedOutcome(target, { type: failed.type, details: failed.details ?? {} })).toEqual({
      target,
      status: 'failed',
      reason: 'reported-version',
      reportedVersion: '1.9',
      decidedHere: false,
    });
    const confirmed = outcomeEvent({ target, status: 'confirmed', reason: null, reportedVersion: '2.0' });
    expect(recordedOutcome(target, { type: confirmed.type, details: confirmed.details ?? {} })).toEqual({
      target,
      status: 'confirmed',
      reason: null,
      reportedVersion: '2.0',
      decidedHere: false,
    });
  });

  it('read a listed target as its outcome event decided it, everything else as listed', () => {
    const at = new Date('2026-01-01T00:03:00Z');
    const failed = outcomeEvent({ target, status: 'failed', reason: 'reported-version', reportedVersion: '1.9', detail: 'said so' });
    expect(decidedTarget(target, { type: failed.type, details: failed.details ?? {}, at })).toEqual({
      ...target,
      status: 'failed',
      reason: 'reported-version',
      reportedVersion: '1.9',
      updatedAt: at,
    });
    const confirmed = outcomeEvent({ target, status: 'confirmed', reason: null, reportedVersion: null });
    const read = decidedTarget(target, { type: confirmed.type, details: confirmed.details ?? {}, at });
    expect(read).toEqual({ ...target, status: 'confirmed', reason: null, reportedVersion: null, updatedAt: at });
    expect(decisionOf(read)).toEqual({ status: 'confirmed', reason: null, reportedVersion: null });
    // An unknown reason is none; an event of another type decides nothing.
    expect(decidedTarget(target, { type: 'upgrade.failed', details: { reason: 'weather' }, at })).toMatchObject({ status: 'failed', reason: null });
    expect(decidedTarget(target, { type: 'software.deployed', details: {}, at })).toBe(target);
  });

  it('find the decisions recorded and not applied by the gateway’s copy of its upgrade', () => {
    const decided = (gatewayId: string) => ({ ...target, gatewayId, status: 'confirmed' as const });
    const copy = (fields: Partial<GatewayUpgrade>): GatewayUpgrade => ({ version: '2.0', status: 'pending', deploymentId: target.deploymentId, ...fields });
    const minutes = (n: number) => new Date(target.createdAt.getTime() + n * 60_000);
    const copies = new Map<string, GatewayUpgrade | null>([
      ['pending-copy', copy({ startedAt: target.createdAt })],
      ['applied', copy({ status: 'confirmed', startedAt: target.createdAt })],
      ['no-copy', null],
      ['older-deployment', copy({ deploymentId: 'older', status: 'confirmed', startedAt: minutes(-5) })],
      ['copy-without-start', copy({ deploymentId: 'older', status: 'confirmed' })],
      ['newer-deployment', copy({ deploymentId: 'newer', startedAt: minutes(5) })],
    ]);
    const gateways = [...copies.keys(), 'gone'];
    expect(unappliedDecisions(gateways.map(decided), copies).map((found) => found.gatewayId)).toEqual([
      'pending-copy',
      'no-copy',
      'older-deployment',
      'copy-without-start',
    ]);
  });

  it('count the confirmed targets per company, in the order given', () => {
    const of = (companyId: string, status: StoredTarget['status']) => ({ companyId, status });
    expect(
      confirmedPerCompany(['a', 'b', 'c'], [of('b', 'confirmed'), of('a', 'failed'), of('b', 'confirmed'), of('a', 'confirmed'), of('x', 'confirmed')]),
    ).toEqual([1, 2, 0]);
  });
});

import { Types } from 'mongoose';
import type { StoredTarget } from './pending-targets';
import { outcomeEvent, outcomeEventId, recordedOutcome } from './target-decision';

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
});

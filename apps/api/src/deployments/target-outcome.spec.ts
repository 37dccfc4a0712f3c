import { transitionOnReport, transitionOnStatus, transitionOnTime } from './target-outcome';

const createdAt = new Date('2026-01-01T10:00:00Z');
const deadline = new Date('2026-01-01T10:10:00Z');
const target = { version: '1.10', createdAt, deadline };
const after = new Date('2026-01-01T10:01:00Z');

describe('deployment target transitions', () => {
  it('confirms when the Status reports the deployed version, numerically equal counting', () => {
    expect(transitionOnStatus(target, { version: '1.10', receivedAt: after })).toEqual({ status: 'confirmed', reason: null, reportedVersion: '1.10' });
    expect(transitionOnStatus({ ...target, version: '2' }, { version: '2.0', receivedAt: after })?.status).toBe('confirmed');
  });

  it('fails when the Status reports another version, remembering which', () => {
    expect(transitionOnStatus(target, { version: '1.9', receivedAt: after })).toEqual({
      status: 'failed',
      reason: 'reported-version',
      reportedVersion: '1.9',
    });
  });

  it('ignores a Status received before the deployment was made', () => {
    expect(transitionOnStatus(target, { version: '0.5', receivedAt: new Date('2026-01-01T09:59:59Z') })).toBeNull();
  });

  it('ignores another version sent in an earlier second than the deployment, received after it', () => {
    const late = { version: '0.5', receivedAt: after };
    expect(transitionOnStatus(target, { ...late, sentAt: new Date('2026-01-01T09:59:59Z') })).toBeNull();
    // The deployment's own second may be after it: the Status still fails the target.
    expect(transitionOnStatus(target, { ...late, sentAt: createdAt })?.reason).toBe('reported-version');
    // The deployed version confirms whenever it was sent.
    expect(transitionOnStatus(target, { version: '1.10', receivedAt: after, sentAt: new Date('2026-01-01T09:00:00Z') })?.status).toBe('confirmed');
  });

  it('fails by time-out at the deadline, not before', () => {
    expect(transitionOnTime(target, new Date('2026-01-01T10:09:59Z'))).toBeNull();
    expect(transitionOnTime(target, deadline)).toEqual({ status: 'failed', reason: 'timeout', reportedVersion: null });
  });

  it('fails on a failed or rejected progress report, with the reason the gateway gave, and on nothing else', () => {
    expect(transitionOnReport({ state: 'failed', reason: 'disk full' })).toEqual({
      status: 'failed',
      reason: 'install-failed',
      reportedVersion: null,
      detail: 'disk full',
    });
    expect(transitionOnReport({ state: 'rejected', reason: null })).toEqual({
      status: 'failed',
      reason: 'rejected',
      reportedVersion: null,
      detail: 'rejected',
    });
    for (const state of ['downloading', 'downloaded', 'verified', 'installing', 'succeeded'] as const) {
      expect(transitionOnReport({ state, reason: null })).toBeNull();
    }
  });
});

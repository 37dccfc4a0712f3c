import type { DeploymentDetailDto, DeploymentTargetDto } from '@upgrade-manager/dto';
import { EXIT } from './exit-codes';
import { countsLine, exitCodeOf, failedTargetLines, watchOutcome } from './deployment-watch';

const counts = (pending: number, confirmed: number, failed: number) => ({ total: pending + confirmed + failed, pending, confirmed, failed });

describe('watchOutcome', () => {
  it.each([
    [counts(2, 1, 0), {}, 'pending'],
    [counts(0, 3, 0), {}, 'confirmed'],
    [counts(0, 2, 1), {}, 'failed'],
    [counts(1, 1, 1), {}, 'pending'],
    [counts(1, 1, 1), { failFast: true }, 'failed'],
    [counts(0, 0, 0), {}, 'confirmed'],
  ] as const)('%j %j → %s', (given, options, expected) => {
    expect(watchOutcome(given, options)).toBe(expected);
  });

  it('maps outcomes to the exit codes a pipeline gates on', () => {
    expect([exitCodeOf('confirmed'), exitCodeOf('failed'), exitCodeOf('pending')]).toEqual([EXIT.ok, EXIT.targetsFailed, EXIT.watchTimedOut]);
  });
});

describe('progress and failure lines', () => {
  it('counts what settled', () => {
    expect(countsLine(counts(8, 10, 2))).toBe('12/20 settled: 10 confirmed, 2 failed, 8 pending');
  });

  it('lists failed targets with reason and reported version, capped', () => {
    const target = (gatewayId: string, status: DeploymentTargetDto['status'], reason: string | null, reportedVersion: string | null): DeploymentTargetDto => ({
      gatewayId,
      companyId: '2',
      status,
      reason,
      reportedVersion,
      deadline: '',
      updatedAt: '',
    });
    const deployment = {
      targets: [
        target('a', 'failed', 'reported-version', '0.5'),
        target('b', 'confirmed', null, null),
        target('c', 'failed', 'timeout', null),
        target('d', 'failed', null, null),
      ],
    } as DeploymentDetailDto;
    expect(failedTargetLines(deployment, 2)).toEqual(['  a: reported-version (reports 0.5)', '  c: timeout', '  ... and 1 more']);
  });
});

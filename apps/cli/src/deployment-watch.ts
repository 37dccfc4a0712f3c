import type { DeploymentCountsDto, DeploymentDetailDto } from '@upgrade-manager/dto';
import { EXIT } from './exit-codes';

export type WatchOutcome = 'confirmed' | 'failed' | 'pending';

/**
 * Where a deployment stands for a pipeline: `confirmed` once every target confirmed, `failed` once
 * none is pending and any failed (or, with failFast, as soon as one failed), else `pending`.
 */
export function watchOutcome(counts: DeploymentCountsDto, { failFast = false } = {}): WatchOutcome {
  if (counts.failed > 0 && (failFast || counts.pending === 0)) return 'failed';
  if (counts.pending === 0) return 'confirmed';
  return 'pending';
}

export function exitCodeOf(outcome: WatchOutcome): number {
  if (outcome === 'confirmed') return EXIT.ok;
  if (outcome === 'failed') return EXIT.targetsFailed;
  return EXIT.watchTimedOut;
}

/** "12/20 settled: 10 confirmed, 2 failed, 8 pending". */
export function countsLine(counts: DeploymentCountsDto): string {
  return `${counts.confirmed + counts.failed}/${counts.total} settled: ${counts.confirmed} confirmed, ${counts.failed} failed, ${counts.pending} pending`;
}

/** The failed targets, one line each, for the end of a failed watch. */
export function failedTargetLines(deployment: DeploymentDetailDto, max = 20): string[] {
  const failed = deployment.targets.filter((target) => target.status === 'failed');
  const lines = failed
    .slice(0, max)
    .map((target) => `  ${target.gatewayId}: ${target.reason ?? 'failed'}${target.reportedVersion ? ` (reports ${target.reportedVersion})` : ''}`);
  if (failed.length > max) lines.push(`  ... and ${failed.length - max} more`);
  return lines;
}

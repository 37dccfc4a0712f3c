import type { RolloutPhaseInputDto } from '@upgrade-manager/dto';

/**
 * Where each phase ends in the snapshot's order: a percent phase ends at that share of all
 * targets (rounded up, so 1 % of 10 is 1), a count phase takes that many more. Never beyond the
 * total, never before the previous phase's end.
 */
export function phaseEnds(total: number, phases: readonly RolloutPhaseInputDto[]): number[] {
  let end = 0;
  return phases.map((phase) => {
    const next = phase.percent !== undefined ? Math.ceil((total * phase.percent) / 100 - 1e-9) : end + (phase.count ?? 0);
    end = Math.min(total, Math.max(end, next));
    return end;
  });
}

/** The phase of the target at `position` in the snapshot's order; -1 when no phase reaches it. */
export function phaseAt(position: number, ends: readonly number[]): number {
  return ends.findIndex((end) => position < end);
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function randomOrder(n: number, random: () => number = Math.random): number[] {
  const order = Array.from({ length: n }, (_, index) => index);
  for (let index = n - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other], order[index]];
  }
  return order;
}

const MAX_RETRY_DELAY_MS = 24 * 3600 * 1000;

/** Wait before the next attempt of a target that failed its `attempts`-th attempt: doubles each time. */
export function retryDelayMs(backoffSeconds: number, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, backoffSeconds * 1000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Random delays (up to `jitterMs`) for the positions of a rollout, ascending within each phase: the
 * start order is then also the order in time, and each gateway's delay is as random as before,
 * since the order itself is random.
 */
export function phaseDelays(ends: readonly number[], jitterMs: number, random: () => number = Math.random): number[] {
  const delays: number[] = [];
  let start = 0;
  for (const end of ends) {
    const phase = Array.from({ length: end - start }, () => Math.floor(random() * jitterMs)).sort((a, b) => a - b);
    delays.push(...phase);
    start = end;
  }
  return delays;
}

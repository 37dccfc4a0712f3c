import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DeploymentTracker, type TargetChange } from '../deployments/deployment-tracker.service';
import type { RolloutBatch } from './rollout-order.schema';
import { RolloutOrderStore } from './rollout-order.store';
import { retryDelayMs } from './rollout-plan';
import { rolloutTargetId } from './rollout-target.schema';
import { RolloutTargetsStore, type TargetMove } from './rollout-targets.store';
import type { RolloutRetries } from './rollout.schema';

/** What a deployment target's outcome means for its rollout target. */
export interface DeploymentOutcome {
  gatewayId: string;
  status: 'confirmed' | 'failed';
  reason: string | null;
}

/** A failed target's reason as shown: the deployment's reason and the version the gateway reported. */
export function failureReason(reason: string | null, reportedVersion: string | null): string {
  return [reason ?? 'failed', reportedVersion].filter(Boolean).join(' ');
}

const RETRYING_STATES = ['running', 'scheduled', 'waiting-approval', 'paused'];
/**
 * Decisions are gathered this long before they are applied: the tracker decides a few Statuses
 * every 100 ms during a rollout, and each apply costs three statements whatever its size (about
 * 3 ms of FerretDB's CPU). The rollout controller ticks once a second, so its counts are at most
 * about a tick behind.
 */
export const OUTCOMES_COALESCE_MS = 1000;
// Gathered decisions beyond which the caller waits until they are applied (memory stays bounded).
const GATHERED_MAX = 10_000;

/**
 * Decides rollout targets when their deployment targets are decided, in whichever API process
 * decides them (the deployment tracker calls it after recording the outcome event, the first
 * insert of which is the decision): one conditional update of the targets and one count update
 * per deployment and second, instead of the controller reading every target at each tick.
 * Gathered, not waited for: the tracker writes its targets and gateways without waiting for
 * rollouts; what a process dying meanwhile leaves undone, the controller's recount applies.
 */
@Injectable()
export class RolloutOutcomes implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RolloutOutcomes.name);
  private gathered: TargetChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly targets: RolloutTargetsStore,
    private readonly order: RolloutOrderStore,
    private readonly tracker: DeploymentTracker,
  ) {}

  onModuleInit(): void {
    this.tracker.onDecisions((changes) => this.gather(changes));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.drain();
  }

  private gather(changes: readonly TargetChange[]): Promise<void> {
    for (const change of changes) this.gathered.push(change);
    // Stopping: the last Statuses' decisions are applied at once, while the database connection is still open.
    if (this.stopping || this.gathered.length >= GATHERED_MAX) return this.drain();
    this.timer ??= setTimeout(() => void this.drain(), OUTCOMES_COALESCE_MS);
    return Promise.resolve();
  }

  // Applies what is gathered, one apply at a time, until nothing is left.
  private drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.draining === null && this.gathered.length > 0) this.draining = this.applyGathered();
    return this.draining ?? Promise.resolve();
  }

  // Awaits before it clears `draining` (so after drain's assignment), and clears it in the same step
  // as it finds nothing left: a gather in between would wait for a drain that has already finished.
  private async applyGathered(): Promise<void> {
    try {
      do {
        const changes = this.gathered;
        this.gathered = [];
        // Never rejects: a drain's caller may be the timer (nobody awaits it) or a Status batch's write.
        await this.onDecisions(changes).catch((error: unknown) =>
          this.logger.error(`Rollout outcomes not applied (the controller's recount will): ${error instanceof Error ? error.message : String(error)}`),
        );
      } while (this.gathered.length > 0);
    } finally {
      this.draining = null;
    }
  }

  private async onDecisions(changes: readonly TargetChange[]): Promise<void> {
    const byDeployment = new Map<string, DeploymentOutcome[]>();
    for (const { target, status, reason, reportedVersion } of changes) {
      const outcomes = byDeployment.get(target.deploymentId) ?? [];
      outcomes.push({ gatewayId: target.gatewayId, status, reason: status === 'failed' ? failureReason(reason, reportedVersion) : null });
      byDeployment.set(target.deploymentId, outcomes);
    }
    // One deployment's failed apply costs no other deployment its outcomes.
    for (const [deploymentId, outcomes] of byDeployment) {
      await this.apply(deploymentId, outcomes).catch((error: Error) =>
        this.logger.warn(`Rollout outcomes of deployment ${deploymentId} not applied (the controller's recount will): ${error.message}`),
      );
    }
  }

  /** Decides the pending rollout targets these outcomes of one deployment are about; idempotent. */
  async apply(deploymentId: string, outcomes: readonly DeploymentOutcome[], now = new Date()): Promise<number> {
    const batch = await this.order.batchOf(deploymentId);
    if (!batch || outcomes.length === 0) return 0;
    const index = new Map(batch.gatewayIds.map((gatewayId, position) => [gatewayId, position]));
    const ours = outcomes.flatMap((outcome) => {
      const position = index.get(outcome.gatewayId);
      return position === undefined ? [] : [{ outcome, position }];
    });
    if (ours.length === 0) return 0;
    // Whether a failure is retried depends on the rollout's state, read with its countsVersion bump.
    return this.targets.transitionOf(batch.rolloutId, (rollout) => {
      const retries = RETRYING_STATES.includes(rollout.state) ? (rollout.retries ?? null) : null;
      return ours.map(({ outcome, position }) => moveOf(batch, position, deploymentId, outcome, retries, now));
    });
  }
}

function moveOf(
  batch: RolloutBatch,
  position: number,
  deploymentId: string,
  outcome: DeploymentOutcome,
  retries: RolloutRetries | null,
  now: Date,
): TargetMove {
  const attempts = batch.attempts[position] ?? 1;
  const base = {
    id: rolloutTargetId(batch.rolloutId, outcome.gatewayId),
    phase: batch.phases[position] ?? 0,
    from: 'pending' as const,
    condition: { deploymentId },
  };
  if (outcome.status === 'failed' && retries !== null && attempts <= retries.max) {
    const retryAt = new Date(now.getTime() + retryDelayMs(retries.backoffSeconds, attempts));
    return { ...base, to: 'waiting', set: { reason: outcome.reason, retryAt } };
  }
  return { ...base, to: outcome.status, set: { reason: outcome.reason, decidedAt: now } };
}

import type { GatewayUpgrade } from '../gateways/gateway.schema';
import type { TargetChange } from './target-decision';

/** The gateway's copy of its upgrade that a decision sets. */
export function upgradeOf({ target, status }: TargetChange): GatewayUpgrade {
  return { version: target.version, status, deploymentId: target.deploymentId, startedAt: target.createdAt };
}

/**
 * What a batch of Statuses decided about pending targets, recorded (each target once) and not yet
 * applied. The caller writes the gateways' copy with their Status (`upgrades`), then settles the
 * decisions with the tracker, which waits for that before its next transition (a deployment started
 * meanwhile could otherwise have its pending copy overwritten by an older decision).
 */
export class StatusDecisions {
  /** Per gateway, the upgrade state to write with its Status. */
  readonly upgrades: ReadonlyMap<string, GatewayUpgrade>;
  private released = false;

  constructor(
    readonly changes: readonly TargetChange[],
    private readonly releaseTracker: () => void,
  ) {
    this.upgrades = new Map(changes.map((change) => [change.target.gatewayId, upgradeOf(change)]));
  }

  /** Lets the tracker go on; the decisions stay recorded, so an unsettled batch finds them again when retried. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.releaseTracker();
  }
}

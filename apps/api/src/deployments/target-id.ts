/**
 * A deployment target's `_id`: its deployment and gateway. Derived, so that any API process can
 * address the target of a gateway in a deployment by `_id` (the only lookup FerretDB does not
 * scan for), e.g. the earlier target a new deployment supersedes, known from the gateway's copy.
 */
export function targetIdOf(deploymentId: string, gatewayId: string): string {
  return `${deploymentId}:${gatewayId}`;
}

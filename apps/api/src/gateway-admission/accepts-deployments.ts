import type { Gateway } from '../gateways/gateway.schema';

/** Deployments reach enabled gateways that are not waiting for approval. */
export function acceptsDeployments(gateway: Pick<Gateway, 'enabled' | 'admission'>): boolean {
  return gateway.enabled !== false && gateway.admission !== 'pending';
}

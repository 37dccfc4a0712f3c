import type { GatewayDto } from '@upgrade-manager/dto';
import type { Gateway } from './gateway.schema';

/** API shape of a stored gateway; `onlineSince` is the oldest lastSeenAt that still counts as online. */
export function toGatewayDto(gateway: Gateway, onlineSince: Date): GatewayDto {
  return {
    gatewayId: gateway.gatewayId,
    companyId: gateway.companyId,
    name: gateway.name ?? null,
    version: gateway.version ?? null,
    lastUpgradeAt: gateway.lastUpgradeAt?.toISOString() ?? null,
    lastSeenAt: gateway.lastSeenAt?.toISOString() ?? null,
    online: gateway.lastSeenAt != null && gateway.lastSeenAt >= onlineSince,
    upgrade: gateway.upgrade ? { version: gateway.upgrade.version, status: gateway.upgrade.status, deploymentId: gateway.upgrade.deploymentId } : null,
    address: gateway.address ?? null,
    latitude: gateway.latitude ?? null,
    longitude: gateway.longitude ?? null,
    enabled: gateway.enabled ?? true,
    tags: gateway.tags ?? [],
    admission: gateway.admission ?? 'accepted',
    createdAt: gateway.createdAt?.toISOString() ?? null,
    // Only for gateways that announce protocol v2: v1 gateways keep their shape.
    ...(gateway.protocol === 2 ? { protocol: 2 as const } : {}),
  };
}

import { Badge, Tooltip } from '@mantine/core';
import type { GatewayUpgradeDto, UpgradeStatus } from '@upgrade-manager/dto';

const COLORS: Record<UpgradeStatus, string> = { pending: 'orange', confirmed: 'teal', failed: 'red' };

export function UpgradeStatusBadge({ upgrade }: { upgrade: Pick<GatewayUpgradeDto, 'status' | 'version'> | null }) {
  if (!upgrade)
    return (
      <Badge variant="outline" color="gray">
        none
      </Badge>
    );
  return (
    <Tooltip label={`Deployment of version ${upgrade.version}`}>
      <Badge color={COLORS[upgrade.status]} variant="light" data-status={upgrade.status}>
        {upgrade.status} {upgrade.version}
      </Badge>
    </Tooltip>
  );
}

export function OnlineBadge({ online }: { online: boolean }) {
  return (
    <Badge color={online ? 'teal' : 'gray'} variant="dot">
      {online ? 'online' : 'offline'}
    </Badge>
  );
}

import { Anchor, Progress, Table, Text } from '@mantine/core';
import type { DeploymentTargetDto, TargetDeliveryDto } from '@upgrade-manager/dto';
import { Link } from 'react-router-dom';
import { paths } from '../../../config/paths';
import { formatBytes } from '../../../utils/format';

const SHOWN = 20;
const STATE_COLORS: Record<TargetDeliveryDto['state'], string> = {
  offered: 'gray',
  downloading: 'blue',
  downloaded: 'blue',
  verified: 'cyan',
  installing: 'orange',
  succeeded: 'teal',
  failed: 'red',
  rejected: 'red',
};

/** Protocol-v2 targets still on their way (or ended with a reason): state and bytes, live. */
export function V2DeliveryTable({ targets }: { targets: DeploymentTargetDto[] }) {
  const v2 = targets.filter((target): target is DeploymentTargetDto & { delivery: TargetDeliveryDto } => target.delivery !== undefined);
  if (v2.length === 0) return null;
  const unfinished = v2.filter((target) => target.delivery.state !== 'succeeded');
  return (
    <Table verticalSpacing={2} aria-label="Protocol v2 targets">
      <Table.Tbody>
        {unfinished.slice(0, SHOWN).map(({ gatewayId, delivery }) => (
          <Table.Tr key={gatewayId} data-testid={`v2-target-${gatewayId}`}>
            <Table.Td>
              <Anchor component={Link} to={paths.gateway.getHref(gatewayId)} size="sm">
                {gatewayId}
              </Anchor>
            </Table.Td>
            <Table.Td>
              <Text size="sm" c={STATE_COLORS[delivery.state]}>
                {delivery.state}
                {delivery.reason ? `: ${delivery.reason}` : ''}
              </Text>
            </Table.Td>
            <Table.Td w="40%">
              <Progress size="sm" value={delivery.size ? (delivery.bytes / delivery.size) * 100 : 0} aria-label={`${gatewayId} download`} />
              <Text size="xs" c="dimmed">
                {formatBytes(delivery.bytes)} of {formatBytes(delivery.size)}
              </Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
      <Table.Caption>
        {v2.length - unfinished.length} of {v2.length} protocol-v2 targets installed
        {unfinished.length > SHOWN ? `; ${unfinished.length - SHOWN} more on their way` : ''}
      </Table.Caption>
    </Table>
  );
}

import { Anchor, Badge, Card, Group, Progress, Stack, Table, Text } from '@mantine/core';
import type { DeploymentCountsDto } from '@upgrade-manager/dto';
import { Link } from 'react-router-dom';
import { ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { formatDateTime, formatNumber } from '../../../utils/format';
import { useDeployment } from '../api/get-deployment';
import { V2DeliveryTable } from './v2-delivery-table';

const FAILED_SHOWN = 20;

export function CountsBar({ counts }: { counts: DeploymentCountsDto }) {
  const share = (count: number) => (counts.total ? (count / counts.total) * 100 : 0);
  return (
    <Stack gap={4}>
      <Progress.Root size="lg" aria-label="Deployment progress">
        <Progress.Section value={share(counts.confirmed)} color="teal" />
        <Progress.Section value={share(counts.failed)} color="red" />
        <Progress.Section value={share(counts.pending)} color="orange" striped animated={counts.pending > 0} />
      </Progress.Root>
      <Group gap="md">
        <Text size="sm" c="teal" data-testid="count-confirmed">
          {formatNumber(counts.confirmed)} confirmed
        </Text>
        <Text size="sm" c="orange" data-testid="count-pending">
          {formatNumber(counts.pending)} pending
        </Text>
        <Text size="sm" c="red" data-testid="count-failed">
          {formatNumber(counts.failed)} failed
        </Text>
        <Text size="sm" c="dimmed">
          of {formatNumber(counts.total)}
        </Text>
      </Group>
    </Stack>
  );
}

/** A running (or finished) deployment: counts, a bar, and which targets failed and why. */
export function DeploymentProgress({ id }: { id: string }) {
  const deployment = useDeployment(id);
  if (deployment.isPending) return <LoadingState rows={2} label="Loading the deployment…" />;
  if (deployment.isError) return <ErrorState error={deployment.error} onRetry={() => void deployment.refetch()} />;
  const { version, counts, targets, createdAt, companyIds } = deployment.data;
  const failed = targets.filter((target) => target.status === 'failed');
  const done = counts.pending === 0;
  return (
    <Card withBorder data-testid={`deployment-${id}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>
            Version {version} to {formatNumber(counts.total)} gateways of{' '}
            {companyIds.length === 1 ? `company ${companyIds[0]}` : `${companyIds.length} companies`}
          </Text>
          <Group gap="xs">
            <Text size="xs" c="dimmed">
              started {formatDateTime(createdAt)}
            </Text>
            <Badge color={!done ? 'orange' : counts.failed ? 'red' : 'teal'}>{!done ? 'running' : counts.failed ? 'finished with failures' : 'done'}</Badge>
          </Group>
        </Group>
        <CountsBar counts={counts} />
        <V2DeliveryTable targets={targets} />
        {failed.length > 0 && (
          <Table verticalSpacing={2} aria-label="Failed targets">
            <Table.Tbody>
              {failed.slice(0, FAILED_SHOWN).map((target) => (
                <Table.Tr key={target.gatewayId}>
                  <Table.Td>
                    <Anchor component={Link} to={paths.gateway.getHref(target.gatewayId)} size="sm">
                      {target.gatewayId}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="red">
                      {target.reason === 'timeout'
                        ? 'no Status before the time-out'
                        : target.reason === 'reported-version'
                          ? `reported version ${target.reportedVersion ?? '?'}`
                          : (target.delivery?.reason ?? target.reason ?? 'failed')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {failed.length > FAILED_SHOWN && (
          <Text size="xs" c="dimmed">
            and {formatNumber(failed.length - FAILED_SHOWN)} more failed targets (filter the table by “Failed” to see them).
          </Text>
        )}
      </Stack>
    </Card>
  );
}

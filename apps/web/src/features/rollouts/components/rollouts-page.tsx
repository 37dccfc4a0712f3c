import { Anchor, Button, Card, Group, Pagination, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { formatDateTime, formatNumber } from '../../../utils/format';
import { useRollouts } from '../api/get-rollouts';
import { RolloutStateBadge } from './rollout-state-badge';

const PAGE_SIZE = 25;

/** Every rollout the caller may see, newest first, with its state and progress. */
export function RolloutsPage() {
  const [page, setPage] = useState(1);
  const rollouts = useRollouts({ page, pageSize: PAGE_SIZE });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Rollouts</Title>
        <Button component={Link} to={paths.newRollout.getHref()}>
          New rollout
        </Button>
      </Group>
      <Card withBorder>
        {rollouts.isPending ? (
          <LoadingState rows={4} label="Loading rollouts…" />
        ) : rollouts.isError ? (
          <ErrorState title="Cannot load the rollouts" error={rollouts.error} onRetry={() => void rollouts.refetch()} />
        ) : rollouts.data.total === 0 ? (
          <EmptyState title="No rollouts yet">A rollout sends a version to the gateways a filter picks, phase by phase.</EmptyState>
        ) : (
          <Stack gap="xs">
            <Table striped highlightOnHover aria-label="Rollouts">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Phase</Table.Th>
                  <Table.Th>Confirmed</Table.Th>
                  <Table.Th>Failed</Table.Th>
                  <Table.Th>Company</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rollouts.data.items.map((rollout) => (
                  <Table.Tr key={rollout.id} data-testid={`rollout-row-${rollout.id}`}>
                    <Table.Td>
                      <Anchor component={Link} to={paths.rollout.getHref(rollout.id)} fw={500}>
                        Version {rollout.version}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <RolloutStateBadge state={rollout.state} />
                    </Table.Td>
                    <Table.Td>{rollout.currentPhase + 1}</Table.Td>
                    <Table.Td>
                      {formatNumber(rollout.counts.confirmed)} / {formatNumber(rollout.targets)}
                    </Table.Td>
                    <Table.Td>{formatNumber(rollout.counts.failed)}</Table.Td>
                    <Table.Td>{rollout.companyId ?? 'all'}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDateTime(rollout.createdAt)}</Text>
                      <Text size="xs" c="dimmed">
                        {rollout.createdBy?.email}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {rollouts.data.total > PAGE_SIZE && <Pagination value={page} onChange={setPage} total={Math.ceil(rollouts.data.total / PAGE_SIZE)} />}
          </Stack>
        )}
      </Card>
    </Stack>
  );
}

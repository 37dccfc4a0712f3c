import { Alert, Anchor, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { RolloutAction, RolloutDetailDto, RolloutPhaseDto, RolloutTargetCountsDto } from '@upgrade-manager/dto';
import { Link, useParams } from 'react-router-dom';
import { ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { formatDateTime, formatNumber } from '../../../utils/format';
import { useRollout } from '../api/get-rollout';
import { useRolloutAction } from '../api/rollout-action';
import { RolloutStateBadge } from './rollout-state-badge';

const ACTION_LABELS: Record<RolloutAction, string> = { approve: 'Approve next phase', pause: 'Pause', resume: 'Resume', cancel: 'Cancel rollout' };
const ACTION_COLORS: Record<RolloutAction, string> = { approve: 'teal', pause: 'orange', resume: 'blue', cancel: 'red' };

const COUNT_COLORS: Record<keyof RolloutTargetCountsDto, string> = {
  confirmed: 'teal',
  failed: 'red',
  pending: 'orange',
  starting: 'yellow',
  waiting: 'gray',
  skipped: 'dimmed',
};

function PhaseProgress({ phase, index }: { phase: RolloutPhaseDto; index: number }) {
  const share = (count: number) => (phase.targets ? (count / phase.targets) * 100 : 0);
  const { counts } = phase;
  return (
    <Card withBorder data-testid={`phase-${index + 1}`}>
      <Stack gap={6}>
        <Group justify="space-between">
          <Text fw={600}>
            Phase {index + 1}: {phase.percent !== null ? `up to ${phase.percent} %` : `${phase.count} more`} · {formatNumber(phase.targets)} gateways
          </Text>
          <Text size="sm" c="dimmed" data-testid="phase-state">
            {phase.state}
          </Text>
        </Group>
        <Progress.Root size="lg" aria-label={`Phase ${index + 1} progress`}>
          <Progress.Section value={share(counts.confirmed)} color="teal" />
          <Progress.Section value={share(counts.failed)} color="red" />
          <Progress.Section value={share(counts.pending + counts.starting)} color="orange" striped animated={counts.pending > 0} />
        </Progress.Root>
        <Group gap="md">
          {(Object.keys(COUNT_COLORS) as (keyof RolloutTargetCountsDto)[]).map((key) => (
            <Text key={key} size="sm" c={COUNT_COLORS[key]} data-testid={`phase-${index + 1}-${key}`}>
              {formatNumber(counts[key])} {key}
            </Text>
          ))}
        </Group>
      </Stack>
    </Card>
  );
}

function describeFilter(rollout: RolloutDetailDto): string {
  const { filter } = rollout;
  const parts = [
    rollout.companyId ? `company ${rollout.companyId}` : 'every company',
    filter.tags?.length ? `tags ${filter.tags.join(' + ')}` : null,
    filter.versions?.length ? `at version ${filter.versions.join(' or ')}` : null,
    filter.online === undefined || filter.online === null ? null : filter.online ? 'online' : 'offline',
    filter.idPattern ? `id or name like ${filter.idPattern}` : null,
  ];
  return parts.filter(Boolean).join(', ');
}

function secondsText(seconds: number): string {
  return seconds < 90 ? `${seconds} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** One rollout, live: state, phases with progress, failures and the actions the caller may take. */
export function RolloutPage() {
  const { rolloutId = '' } = useParams();
  const rollout = useRollout(rolloutId);
  const action = useRolloutAction(rolloutId);

  if (rollout.isPending) return <LoadingState rows={4} label="Loading the rollout…" />;
  if (rollout.isError) return <ErrorState title="Cannot load the rollout" error={rollout.error} onRetry={() => void rollout.refetch()} />;
  const data = rollout.data;

  return (
    <Stack>
      <Anchor component={Link} to={paths.rollouts.getHref()} size="sm">
        ← Rollouts
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="sm">
            <Title order={2}>Rollout of version {data.version}</Title>
            <RolloutStateBadge state={data.state} />
          </Group>
          <Text size="sm" c="dimmed">
            {describeFilter(data)} · created {formatDateTime(data.createdAt)} by {data.createdBy?.email ?? 'the system'}
          </Text>
        </Stack>
        <Group gap="xs">
          {data.actions.map((name) => (
            <Button
              key={name}
              color={ACTION_COLORS[name]}
              variant={name === 'cancel' ? 'light' : 'filled'}
              loading={action.isPending && action.variables === name}
              onClick={() => action.mutate(name)}
            >
              {ACTION_LABELS[name]}
            </Button>
          ))}
        </Group>
      </Group>
      {data.stateReason && (
        <Alert color={data.state === 'aborted' ? 'red' : 'yellow'} data-testid="state-reason">
          {data.stateReason}
        </Alert>
      )}
      {action.isError && (
        <Alert color="red" role="alert">
          {action.error.message}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Text>
          <b data-testid="total-confirmed">{formatNumber(data.counts.confirmed)}</b> of {formatNumber(data.targets)} confirmed
        </Text>
        <Text c="red">{formatNumber(data.counts.failed)} failed</Text>
        <Text c="dimmed">{formatNumber(data.counts.waiting)} waiting</Text>
        <Text c="dimmed">
          {data.secondsLeft !== null ? `about ${secondsText(data.secondsLeft)} left at this pace` : data.maxPerMinute ? '' : 'no pace limit'}
        </Text>
      </SimpleGrid>
      <Stack gap="sm">
        {data.phases.map((phase, index) => (
          <PhaseProgress key={index} phase={phase} index={index} />
        ))}
      </Stack>
      {data.failures.length > 0 && (
        <Card withBorder>
          <Title order={4} mb="xs">
            Failures
          </Title>
          <Table aria-label="Failures">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Gateway</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Attempts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.failures.map((failure) => (
                <Table.Tr key={failure.gatewayId}>
                  <Table.Td>
                    <Anchor component={Link} to={paths.gateway.getHref(failure.gatewayId)}>
                      {failure.gatewayId}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{failure.reason}</Table.Td>
                  <Table.Td>{failure.attempts}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}

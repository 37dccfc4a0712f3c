import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { useSession } from '../../../lib/auth';
import { canSeePage, policies } from '../../../lib/authorization';
import { formatNumber, formatRelative } from '../../../utils/format';
import { useEvents } from '../../events/api/get-events';
import { EventsTable } from '../../events/components/events-table';
import { useGateways } from '../../gateways/api/get-gateways';
import { useGatewaySummary } from '../../gateways/api/get-gateway-summary';
import { useVersions } from '../../versions/api/get-versions';
import { VersionChart } from './version-chart';

const RECENT_EVENTS = 10;
const PENDING_SHOWN = 8;

function StatCard({ label, value, hint, color }: { label: string; value: string; hint?: string; color?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fz={28} fw={700} c={color} data-testid={`stat-${label.toLowerCase().replace(/\s+/g, '-')}`}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

function PendingUpgrades() {
  const { user } = useSession();
  const pending = useGateways({ upgradeStatus: 'pending', pageSize: PENDING_SHOWN, sort: 'lastSeenAt', order: 'desc' });
  if (pending.isPending) return <LoadingState rows={3} />;
  if (pending.isError) return <ErrorState error={pending.error} onRetry={() => void pending.refetch()} />;
  if (pending.data.items.length === 0) return <Text c="dimmed">No upgrade is waiting for a gateway to confirm.</Text>;
  return (
    <Stack gap="xs">
      <Table verticalSpacing={4} aria-label="Pending upgrades">
        <Table.Tbody>
          {pending.data.items.map((gateway) => (
            <Table.Tr key={gateway.gatewayId}>
              <Table.Td>
                <Anchor component={Link} to={paths.gateway.getHref(gateway.gatewayId)}>
                  {gateway.name ?? gateway.gatewayId}
                </Anchor>
              </Table.Td>
              <Table.Td>
                {gateway.version ?? '?'} → {gateway.upgrade?.version}
              </Table.Td>
              <Table.Td>
                <Badge color={gateway.online ? 'teal' : 'gray'} variant="dot">
                  {gateway.online ? 'online' : `seen ${formatRelative(gateway.lastSeenAt)}`}
                </Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {pending.data.total > pending.data.items.length && canSeePage(user.role, 'upgrade') && (
        <Anchor component={Link} to={`${paths.upgrade.getHref()}?upgradeStatus=pending`} size="sm">
          All {formatNumber(pending.data.total)} pending upgrades
        </Anchor>
      )}
    </Stack>
  );
}

function RecentEvents() {
  const { user } = useSession();
  const events = useEvents({ limit: RECENT_EVENTS });
  if (events.isPending) return <LoadingState rows={4} />;
  if (events.isError) return <ErrorState error={events.error} onRetry={() => void events.refetch()} />;
  if (events.data.items.length === 0) return <Text c="dimmed">Nothing has happened yet.</Text>;
  return (
    <Stack gap="xs">
      <EventsTable events={events.data.items} showCompany={policies.seeAllCompanies(user.role)} />
      <Anchor component={Link} to={paths.events.getHref()} size="sm">
        Open the event log
      </Anchor>
    </Stack>
  );
}

export function DashboardPage() {
  const { user } = useSession();
  const summary = useGatewaySummary();
  const versions = useVersions();
  const latest = versions.data?.items.find((version) => version.latest)?.version ?? null;

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Dashboard</Title>
        <Text c="dimmed" size="sm">
          {policies.seeAllCompanies(user.role) ? 'All companies' : `Company ${user.companyId}`}
        </Text>
      </Group>
      {summary.isPending && <LoadingState label="Loading the fleet…" />}
      {summary.isError && <ErrorState title="Cannot load the fleet summary" error={summary.error} onRetry={() => void summary.refetch()} />}
      {summary.data && (
        <>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <StatCard label="Gateways" value={formatNumber(summary.data.total)} />
            <StatCard label="Online" value={formatNumber(summary.data.online)} color="teal" hint={`${formatNumber(summary.data.offline)} offline`} />
            <StatCard label="Pending upgrades" value={formatNumber(summary.data.pendingUpgrades)} color={summary.data.pendingUpgrades ? 'orange' : undefined} />
            <StatCard label="Latest version" value={latest ?? '—'} hint={latest ? undefined : 'No version uploaded yet'} />
          </SimpleGrid>
          {summary.data.total === 0 ? (
            <Card withBorder>
              <EmptyState title="No gateways yet">
                Gateways appear here as soon as they send their first Status message to the broker. To try it, start a simulated gateway with{' '}
                <code>gateway-sim &lt;gatewayId&gt; &lt;companyId&gt;</code>.
              </EmptyState>
            </Card>
          ) : (
            <SimpleGrid cols={{ base: 1, lg: 2 }}>
              <Card withBorder>
                <Title order={4} mb="sm">
                  Version distribution
                </Title>
                <VersionChart versions={summary.data.versions} latest={latest} />
              </Card>
              <Card withBorder>
                <Title order={4} mb="sm">
                  Pending upgrades
                </Title>
                <PendingUpgrades />
              </Card>
            </SimpleGrid>
          )}
        </>
      )}
      <Card withBorder>
        <Title order={4} mb="sm">
          Recent events
        </Title>
        <RecentEvents />
      </Card>
    </Stack>
  );
}

import { Alert, Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { ApiError } from '../../../lib/api-client';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatDateTime, formatRelative } from '../../../utils/format';
import { EventsTable } from '../../events/components/events-table';
import { useAcceptGateway } from '../api/accept-gateway';
import { useGateway } from '../api/get-gateway';
import { useGatewayHistory } from '../api/get-gateway-history';
import { GatewayForm } from './gateway-form';
import { OnlineBadge, UpgradeStatusBadge } from './upgrade-status-badge';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text component="div">{children}</Text>
    </div>
  );
}

function WaitingForApproval({ gatewayId, canAccept }: { gatewayId: string; canAccept: boolean }) {
  const accept = useAcceptGateway(gatewayId);
  return (
    <Alert color="yellow" title="Waiting for approval">
      <Stack gap="xs">
        <Text size="sm">This gateway registered under the approval policy. It gets no version, no answer and no deployment until it is accepted.</Text>
        {accept.isError && <Text c="red">{accept.error.message}</Text>}
        {canAccept && (
          <Group>
            <Button size="xs" loading={accept.isPending} onClick={() => accept.mutate()}>
              Accept gateway
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

function GatewayHistory({ gatewayId }: { gatewayId: string }) {
  const history = useGatewayHistory(gatewayId);
  if (history.isPending) return <LoadingState rows={4} label="Loading history…" />;
  if (history.isError) return <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  const { deployments, events } = history.data;
  return (
    <Stack gap="lg">
      <div>
        <Title order={5} mb="xs">
          Deployments
        </Title>
        {deployments.length === 0 ? (
          <Text c="dimmed" size="sm">
            No version has been deployed to this gateway yet.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={520}>
            <Table striped aria-label="Deployments to this gateway">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Last change</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {deployments.map((deployment) => (
                  <Table.Tr key={deployment.deploymentId}>
                    <Table.Td>{formatDateTime(deployment.createdAt)}</Table.Td>
                    <Table.Td>{deployment.version}</Table.Td>
                    <Table.Td>
                      <UpgradeStatusBadge upgrade={deployment} />
                    </Table.Td>
                    <Table.Td>{deployment.reason ?? '—'}</Table.Td>
                    <Table.Td>{formatDateTime(deployment.updatedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </div>
      <div>
        <Title order={5} mb="xs">
          Events
        </Title>
        {events.length === 0 ? (
          <Text c="dimmed" size="sm">
            No event concerns this gateway yet.
          </Text>
        ) : (
          <EventsTable events={events} />
        )}
      </div>
    </Stack>
  );
}

export function GatewayDetailPage() {
  const { gatewayId = '' } = useParams();
  const { user } = useSession();
  const gateway = useGateway(gatewayId);

  if (gateway.isPending) return <LoadingState label="Loading the gateway…" />;
  if (gateway.isError) {
    if (gateway.error instanceof ApiError && gateway.error.status === 404) {
      return (
        <EmptyState
          title="Gateway not found"
          action={
            <Anchor component={Link} to={paths.dashboard.getHref()}>
              Back to the dashboard
            </Anchor>
          }
        >
          There is no gateway “{gatewayId}” in your companies. Check the id; a gateway appears once it has sent its first Status.
        </EmptyState>
      );
    }
    return <ErrorState title="Cannot load the gateway" error={gateway.error} onRetry={() => void gateway.refetch()} />;
  }

  const data = gateway.data;
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>{data.name ?? data.gatewayId}</Title>
          {data.name && <Text c="dimmed">{data.gatewayId}</Text>}
        </div>
        <Group gap="xs">
          <OnlineBadge online={data.online} />
          {!data.enabled && <Badge color="red">disabled</Badge>}
          {data.admission === 'pending' && <Badge color="yellow">waiting</Badge>}
        </Group>
      </Group>
      {data.admission === 'pending' && <WaitingForApproval gatewayId={data.gatewayId} canAccept={policies.editGateway(user.role)} />}
      <Card withBorder>
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          <Field label="Company">{data.companyId}</Field>
          <Field label="Version">{data.version ?? 'unknown'}</Field>
          <Field label="Upgrade">
            <UpgradeStatusBadge upgrade={data.upgrade} />
          </Field>
          <Field label="Last seen">
            <span title={formatDateTime(data.lastSeenAt)}>{formatRelative(data.lastSeenAt)}</span>
          </Field>
          <Field label="Last upgrade">{formatDateTime(data.lastUpgradeAt)}</Field>
          <Field label="Address">{data.address ?? '—'}</Field>
          <Field label="Position">{data.latitude !== null && data.longitude !== null ? `${data.latitude}, ${data.longitude}` : '—'}</Field>
          <Field label="First seen">{formatDateTime(data.createdAt)}</Field>
        </SimpleGrid>
      </Card>
      {policies.editGateway(user.role) && (
        <Card withBorder>
          <Title order={4} mb="sm">
            Edit
          </Title>
          <GatewayForm key={`${data.gatewayId}-${data.companyId}`} gateway={data} canMove={policies.moveGateway(user.role)} />
        </Card>
      )}
      <Card withBorder>
        <Title order={4} mb="sm">
          History
        </Title>
        <GatewayHistory gatewayId={data.gatewayId} />
      </Card>
    </Stack>
  );
}

import { Button, Card, Group, Pagination, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { EVENT_TYPES, type EventType } from '@upgrade-manager/dto';
import { useSearchParams } from 'react-router-dom';
import { EmptyState } from '../../../components/ui/page-states';
import { QueryListCard } from '../../../components/ui/query-list-card';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatNumber, localInputToIso } from '../../../utils/format';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useUsers } from '../../users/api/get-users';
import { type EventsQuery, useEvents } from '../api/get-events';
import { EVENT_LABELS } from './event-labels';
import { EventsTable } from './events-table';

const PAGE_SIZE = 50;
const FILTERS = ['type', 'userId', 'gatewayId', 'companyId', 'from', 'to'] as const;

function isEventType(value: string | null): value is EventType {
  return value !== null && (EVENT_TYPES as readonly string[]).includes(value);
}

export function EventsPage() {
  const { user } = useSession();
  // Filters live in the URL so a filtered log can be bookmarked and survives a reload.
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const seesAll = policies.seeAllCompanies(user.role);
  const canListUsers = user.role !== 'user';
  const users = useUsers({}, { enabled: canListUsers });
  const companies = useCompanies({ enabled: seesAll });

  const type = params.get('type');
  const query: EventsQuery = {
    type: isEventType(type) ? type : undefined,
    userId: params.get('userId') ?? undefined,
    gatewayId: params.get('gatewayId') ?? undefined,
    companyId: seesAll ? (params.get('companyId') ?? undefined) : undefined,
    from: localInputToIso(params.get('from') ?? ''),
    to: localInputToIso(params.get('to') ?? ''),
    offset: (page - 1) * PAGE_SIZE,
    limit: PAGE_SIZE,
  };
  const events = useEvents(query);

  const setFilter = (name: (typeof FILTERS)[number], value: string | null) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        next.delete('page');
        return next;
      },
      { replace: true },
    );
  };
  const filtered = FILTERS.some((name) => params.get(name));
  const pages = events.data ? Math.max(1, Math.ceil(events.data.total / PAGE_SIZE)) : 1;

  return (
    <Stack gap="lg">
      <Title order={2}>Event log</Title>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: seesAll ? 6 : 5 }}>
          <Select
            label="Event type"
            placeholder="Any"
            clearable
            data={EVENT_TYPES.map((value) => ({ value, label: EVENT_LABELS[value] }))}
            value={query.type ?? null}
            onChange={(value) => setFilter('type', value)}
          />
          {canListUsers && (
            <Select
              label="User"
              placeholder="Anyone"
              clearable
              searchable
              data={(users.data?.items ?? []).map((candidate) => ({ value: candidate.id, label: candidate.email }))}
              value={query.userId ?? null}
              onChange={(value) => setFilter('userId', value)}
            />
          )}
          <TextInput
            label="Gateway id"
            placeholder="Any"
            defaultValue={query.gatewayId ?? ''}
            onBlur={(event) => setFilter('gatewayId', event.currentTarget.value.trim() || null)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') setFilter('gatewayId', event.currentTarget.value.trim() || null);
            }}
          />
          {seesAll && (
            <Select
              label="Company"
              placeholder="All"
              clearable
              searchable
              data={(companies.data?.items ?? []).map((company) => ({
                value: company.companyId,
                label: companyLabel(companies.data?.items, company.companyId),
              }))}
              value={query.companyId ?? null}
              onChange={(value) => setFilter('companyId', value)}
            />
          )}
          <TextInput label="From" type="datetime-local" value={params.get('from') ?? ''} onChange={(event) => setFilter('from', event.currentTarget.value)} />
          <TextInput label="To" type="datetime-local" value={params.get('to') ?? ''} onChange={(event) => setFilter('to', event.currentTarget.value)} />
        </SimpleGrid>
        {filtered && (
          <Group mt="sm">
            <Button variant="subtle" size="xs" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
              Clear all filters
            </Button>
          </Group>
        )}
      </Card>
      <QueryListCard
        query={events}
        loadingRows={8}
        loadingLabel="Loading events…"
        errorTitle="Cannot load the event log"
        empty={
          <EmptyState title={filtered ? 'No event matches these filters' : 'No events yet'}>
            {filtered ? 'Widen the time range or clear a filter.' : 'Logins, deployments, uploads and changes to gateways and users are recorded here.'}
          </EmptyState>
        }
      >
        {(data) => (
          <Stack gap="sm">
            <EventsTable events={data.items} showCompany={seesAll} />
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {formatNumber(data.total)} events
              </Text>
              <Pagination
                total={pages}
                value={Math.min(page, pages)}
                onChange={(next) =>
                  setParams((current) => {
                    const updated = new URLSearchParams(current);
                    updated.set('page', String(next));
                    return updated;
                  })
                }
              />
            </Group>
          </Stack>
        )}
      </QueryListCard>
    </Stack>
  );
}

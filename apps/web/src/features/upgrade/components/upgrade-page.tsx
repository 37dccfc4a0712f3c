import { Accordion, Badge, Card, Checkbox, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorState, LoadingState } from '../../../components/ui/page-states';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatDateTime, plural } from '../../../utils/format';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useDeployments } from '../../deployments/api/get-deployments';
import { CountsBar, DeploymentProgress } from '../../deployments/components/deployment-progress';
import { getGatewaysQueryOptions } from '../../gateways/api/get-gateways';
import { DeployPanel } from './deploy-panel';
import { GatewayFiltersBar, useGatewayFilters } from './gateway-filters';
import { GatewayTable } from './gateway-table';
import { emptySelection, type Selection, setCompany } from './selection';

const RECENT_DEPLOYMENTS = 5;
const OPEN_BY_DEFAULT = 3;

/** Each company's number of gateways (unfiltered): for "whole company" counts and the section headers. */
function useCompanyCounts(companyIds: string[], seesAll: boolean): ReadonlyMap<string, number> {
  const results = useQueries({
    queries: companyIds.map((companyId) => ({
      ...getGatewaysQueryOptions(seesAll ? { companyId, pageSize: 1 } : { pageSize: 1 }),
      select: (data: { total: number }) => data.total,
    })),
  });
  const counts = new Map<string, number>();
  companyIds.forEach((companyId, index) => {
    const total = results[index]?.data;
    if (total !== undefined) counts.set(companyId, total);
  });
  return counts;
}

function RecentDeployments({ exclude }: { exclude: string[] }) {
  const deployments = useDeployments({ limit: RECENT_DEPLOYMENTS });
  if (deployments.isPending) return <LoadingState rows={2} />;
  if (deployments.isError) return <ErrorState error={deployments.error} onRetry={() => void deployments.refetch()} />;
  const items = deployments.data.items.filter((item) => !exclude.includes(item.id));
  if (items.length === 0) return exclude.length ? null : <Text c="dimmed">No deployment yet. Select gateways below and pick a version.</Text>;
  return (
    <Stack gap="sm" aria-label="Recent deployments">
      {items.map((item) => (
        <SimpleGrid key={item.id} cols={{ base: 1, md: 2 }} spacing="xs">
          <div>
            <Text fw={500}>Version {item.version}</Text>
            <Text size="xs" c="dimmed">
              {formatDateTime(item.createdAt)} · {item.createdBy?.email ?? 'system'} ·{' '}
              {item.scope === 'all' ? 'every gateway' : `${item.companyIds.length === 1 ? 'company' : 'companies'} ${item.companyIds.join(', ')}`}
            </Text>
          </div>
          <CountsBar counts={item.counts} />
        </SimpleGrid>
      ))}
    </Stack>
  );
}

export function UpgradePage() {
  const { user } = useSession();
  const seesAll = policies.seeAllCompanies(user.role);
  const [filters] = useGatewayFilters();
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const [started, setStarted] = useState<string[]>([]);
  const [opened, setOpened] = useState<string[] | null>(null);
  const companies = useCompanies();

  const companyIds = useMemo(
    () => (seesAll ? (companies.data?.items ?? []).map((company) => company.companyId) : [user.companyId]),
    [seesAll, companies.data, user.companyId],
  );
  const counts = useCompanyCounts(companyIds, seesAll);
  const shownCompanies = filters.companyId ? companyIds.filter((companyId) => companyId === filters.companyId) : companyIds;
  const openedSections = opened ?? shownCompanies.filter((companyId) => (counts.get(companyId) ?? 0) > 0).slice(0, OPEN_BY_DEFAULT);

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Upgrade</Title>
        <Text c="dimmed" size="sm">
          {seesAll ? 'Gateways of every company, grouped by company' : `Gateways of ${companyLabel(companies.data?.items, user.companyId)}`}
        </Text>
      </Group>
      <DeployPanel
        selection={selection}
        onSelectionChange={setSelection}
        companyCounts={counts}
        onDeployed={(created) => setStarted((ids) => [...created.map((item) => item.id), ...ids])}
      />
      <Card withBorder>
        <Title order={4} mb="sm">
          Deployments
        </Title>
        <Stack gap="sm">
          {started.map((id) => (
            <DeploymentProgress key={id} id={id} />
          ))}
          <RecentDeployments exclude={started} />
        </Stack>
      </Card>
      <Card withBorder>
        <GatewayFiltersBar
          companies={seesAll ? companyIds.map((companyId) => ({ value: companyId, label: companyLabel(companies.data?.items, companyId) })) : undefined}
        />
      </Card>
      {seesAll && companies.isPending && <LoadingState label="Loading companies…" />}
      {seesAll && companies.isError && <ErrorState title="Cannot load the companies" error={companies.error} onRetry={() => void companies.refetch()} />}
      {seesAll && companies.data && (
        <Accordion multiple variant="separated" value={openedSections} onChange={setOpened} chevronPosition="left">
          {shownCompanies.map((companyId) => {
            const count = counts.get(companyId);
            return (
              <Accordion.Item key={companyId} value={companyId} data-testid={`company-section-${companyId}`}>
                <Group wrap="nowrap" pr="md" gap="xs">
                  <Accordion.Control>
                    <Group gap="sm">
                      <Text fw={600}>{companyLabel(companies.data.items, companyId)}</Text>
                      <Badge variant="light" color="gray">
                        {count === undefined ? '…' : plural(count, 'gateway')}
                      </Badge>
                    </Group>
                  </Accordion.Control>
                  <Checkbox
                    label="Whole company"
                    aria-label={`Select every gateway of company ${companyId}`}
                    checked={selection.all || selection.companies.has(companyId)}
                    disabled={selection.all || !count}
                    onChange={(event) => setSelection(setCompany(selection, companyId, event.currentTarget.checked))}
                    style={{ whiteSpace: 'nowrap' }}
                  />
                </Group>
                <Accordion.Panel>
                  {/* Closed sections fetch nothing: with many companies only the opened ones cost a query. */}
                  {openedSections.includes(companyId) && (
                    <GatewayTable
                      label={`Gateways of company ${companyId}`}
                      filters={{ ...filters, companyId }}
                      selection={selection}
                      onSelectionChange={setSelection}
                      selectable
                    />
                  )}
                </Accordion.Panel>
              </Accordion.Item>
            );
          })}
        </Accordion>
      )}
      {!seesAll && (
        <Card withBorder>
          <Group justify="flex-end" mb="xs">
            <Checkbox
              label={`Every gateway of my company${counts.get(user.companyId) !== undefined ? ` (${plural(counts.get(user.companyId) ?? 0, 'gateway')})` : ''}`}
              checked={selection.companies.has(user.companyId)}
              disabled={!counts.get(user.companyId)}
              onChange={(event) => setSelection(setCompany(selection, user.companyId, event.currentTarget.checked))}
            />
          </Group>
          <GatewayTable label="Gateways" filters={{ ...filters, companyId: undefined }} selection={selection} onSelectionChange={setSelection} selectable />
        </Card>
      )}
    </Stack>
  );
}

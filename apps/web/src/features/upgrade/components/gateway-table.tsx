import { Anchor, Badge, Checkbox, Group, Pagination, Select, Stack, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import type { GatewayDto, GatewaySortField, SortOrder } from '@upgrade-manager/dto';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { formatDateTime, formatNumber, formatRelative } from '../../../utils/format';
import { useGateways } from '../../gateways/api/get-gateways';
import { OnlineBadge, UpgradeStatusBadge } from '../../gateways/components/upgrade-status-badge';
import type { GatewayFilters } from './gateway-filters';
import { isCovered, isSelected, type Selection, setGateways } from './selection';

const PAGE_SIZES = ['25', '50', '100', '200'];

function SortHeader({
  field,
  label,
  sort,
  order,
  onSort,
}: {
  field: GatewaySortField;
  label: string;
  sort: GatewaySortField;
  order: SortOrder;
  onSort: (field: GatewaySortField) => void;
}) {
  const active = sort === field;
  return (
    <Table.Th aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <UnstyledButton onClick={() => onSort(field)} fw={700} fz="sm">
        {label}{' '}
        {active ? (
          order === 'asc' ? (
            '▲'
          ) : (
            '▼'
          )
        ) : (
          <Text span c="dimmed">
            ↕
          </Text>
        )}
      </UnstyledButton>
    </Table.Th>
  );
}

interface GatewayTableProps {
  filters: GatewayFilters;
  selection: Selection;
  onSelectionChange: (selection: Selection) => void;
  selectable: boolean;
  showCompany?: boolean;
  label: string;
}

/** One server-side paged, sorted and filtered table of gateways with selection checkboxes. */
export function GatewayTable({ filters, selection, onSelectionChange, selectable, showCompany = false, label }: GatewayTableProps) {
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const [sort, setSort] = useState<GatewaySortField>('gatewayId');
  const [order, setOrder] = useState<SortOrder>('asc');
  const [filterKey, setFilterKey] = useState(JSON.stringify(filters));
  // Back to the first page whenever the filters change (render-time reset, no effect needed).
  if (filterKey !== JSON.stringify(filters)) {
    setFilterKey(JSON.stringify(filters));
    setPage(1);
  }
  const gateways = useGateways({ ...filters, page, pageSize, sort, order });

  const onSort = (field: GatewaySortField) => {
    if (field === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(field);
      setOrder(field === 'lastSeenAt' ? 'desc' : 'asc');
    }
    setPage(1);
  };

  if (gateways.isPending) return <LoadingState rows={5} label="Loading gateways…" />;
  if (gateways.isError) return <ErrorState title="Cannot load the gateways" error={gateways.error} onRetry={() => void gateways.refetch()} />;

  const { items, total } = gateways.data;
  if (total === 0) {
    const filtered = Object.entries(filters).some(([name, value]) => name !== 'companyId' && value !== undefined);
    return (
      <EmptyState title={filtered ? 'No gateway matches these filters' : 'No gateways yet'}>
        {filtered ? 'Clear a filter to see more gateways.' : 'Gateways appear here, live, as soon as they send their first Status message.'}
      </EmptyState>
    );
  }

  const selectableRows = items.filter((gateway) => gateway.enabled && !isCovered(selection, gateway));
  const pageSelected = selectableRows.filter((gateway) => isSelected(selection, gateway)).length;
  const pages = Math.max(1, Math.ceil(total / pageSize));

  const toggle = (gateway: GatewayDto, selected: boolean) => onSelectionChange(setGateways(selection, [gateway], selected));

  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={720}>
        <Table highlightOnHover striped verticalSpacing={6} aria-label={label} style={{ opacity: gateways.isPlaceholderData ? 0.6 : 1 }}>
          <Table.Thead>
            <Table.Tr>
              {selectable && (
                <Table.Th w={40}>
                  <Checkbox
                    aria-label="Select every gateway on this page"
                    checked={selectableRows.length > 0 && pageSelected === selectableRows.length}
                    indeterminate={pageSelected > 0 && pageSelected < selectableRows.length}
                    disabled={selectableRows.length === 0}
                    onChange={(event) => onSelectionChange(setGateways(selection, selectableRows, event.currentTarget.checked))}
                  />
                </Table.Th>
              )}
              <SortHeader field="gatewayId" label="Gateway" sort={sort} order={order} onSort={onSort} />
              {showCompany && <SortHeader field="companyId" label="Company" sort={sort} order={order} onSort={onSort} />}
              <SortHeader field="version" label="Version" sort={sort} order={order} onSort={onSort} />
              <Table.Th>Upgrade</Table.Th>
              <Table.Th>Connection</Table.Th>
              <SortHeader field="lastSeenAt" label="Last seen" sort={sort} order={order} onSort={onSort} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((gateway) => (
              <Table.Tr key={gateway.gatewayId} data-testid={`gateway-row-${gateway.gatewayId}`}>
                {selectable && (
                  <Table.Td>
                    <Tooltip label="Disabled gateways never receive deployments" disabled={gateway.enabled}>
                      <Checkbox
                        aria-label={`Select ${gateway.gatewayId}`}
                        checked={isSelected(selection, gateway)}
                        disabled={!gateway.enabled || isCovered(selection, gateway)}
                        onChange={(event) => toggle(gateway, event.currentTarget.checked)}
                      />
                    </Tooltip>
                  </Table.Td>
                )}
                <Table.Td>
                  <Anchor component={Link} to={paths.gateway.getHref(gateway.gatewayId)} fw={500}>
                    {gateway.gatewayId}
                  </Anchor>
                  {gateway.name && (
                    <Text size="xs" c="dimmed">
                      {gateway.name}
                    </Text>
                  )}
                  {!gateway.enabled && (
                    <Text size="xs" c="red">
                      disabled
                    </Text>
                  )}
                  {gateway.tags.length > 0 && (
                    <Group gap={4} mt={2} aria-label={`Tags of ${gateway.gatewayId}`}>
                      {gateway.tags.map((tag) => (
                        <Badge key={tag} size="xs" variant="light" color="gray">
                          {tag}
                        </Badge>
                      ))}
                    </Group>
                  )}
                </Table.Td>
                {showCompany && <Table.Td>{gateway.companyId}</Table.Td>}
                <Table.Td>
                  {gateway.version ?? (
                    <Text span c="dimmed">
                      unknown
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <UpgradeStatusBadge upgrade={gateway.upgrade} />
                </Table.Td>
                <Table.Td>
                  <OnlineBadge online={gateway.online} />
                </Table.Td>
                <Table.Td title={formatDateTime(gateway.lastSeenAt)} style={{ whiteSpace: 'nowrap' }}>
                  {formatRelative(gateway.lastSeenAt)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between" gap="xs">
        <Text size="sm" c="dimmed">
          {formatNumber((page - 1) * pageSize + 1)}–{formatNumber(Math.min(page * pageSize, total))} of {formatNumber(total)}
        </Text>
        <Group gap="xs">
          <Select
            aria-label="Gateways per page"
            data={PAGE_SIZES}
            value={String(pageSize)}
            onChange={(value) => {
              setPageSize(Number(value ?? 50));
              setPage(1);
            }}
            w={90}
            size="xs"
            allowDeselect={false}
          />
          <Pagination total={pages} value={Math.min(page, pages)} onChange={setPage} size="sm" siblings={1} />
        </Group>
      </Group>
    </Stack>
  );
}

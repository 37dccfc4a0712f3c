import { Button, Group, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { GATEWAY_TAG_MAX_LENGTH, GATEWAY_TAG_PATTERN, UPGRADE_STATUS_FILTERS, type UpgradeStatusFilter } from '@upgrade-manager/dto';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { GatewaysQuery } from '../../gateways/api/get-gateways';
import { useVersions } from '../../versions/api/get-versions';

export type GatewayFilters = Pick<GatewaysQuery, 'search' | 'version' | 'online' | 'upgradeStatus' | 'companyId' | 'tag'>;

const FILTER_NAMES = ['search', 'version', 'online', 'upgradeStatus', 'companyId', 'tag'] as const;

function isUpgradeStatus(value: string | null): value is UpgradeStatusFilter {
  return value !== null && (UPGRADE_STATUS_FILTERS as readonly string[]).includes(value);
}

/** The filters of the upgrade page, kept in the URL (bookmarkable; the dashboard links to pending ones). */
export function useGatewayFilters(): [GatewayFilters, (name: (typeof FILTER_NAMES)[number], value: string | null) => void, () => void] {
  const [params, setParams] = useSearchParams();
  const online = params.get('online');
  const upgradeStatus = params.get('upgradeStatus');
  const filters: GatewayFilters = {
    search: params.get('search') ?? undefined,
    version: params.get('version') ?? undefined,
    online: online === 'true' ? true : online === 'false' ? false : undefined,
    upgradeStatus: isUpgradeStatus(upgradeStatus) ? upgradeStatus : undefined,
    companyId: params.get('companyId') ?? undefined,
    tag: params.get('tag') ?? undefined,
  };
  const set = (name: (typeof FILTER_NAMES)[number], value: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const clear = () => setParams(new URLSearchParams(), { replace: true });
  return [filters, set, clear];
}

const STATUS_LABELS: Record<UpgradeStatusFilter, string> = {
  pending: 'Pending',
  confirmed: 'Confirmed',
  failed: 'Failed',
  none: 'Never deployed',
};

/** A tag as the API accepts it, or null (no filter) for anything else. */
function normalizeTag(value: string): string | null {
  const tag = value.trim().toLowerCase();
  return tag && tag.length <= GATEWAY_TAG_MAX_LENGTH && GATEWAY_TAG_PATTERN.test(tag) ? tag : null;
}

export function GatewayFiltersBar({ companies }: { companies?: { value: string; label: string }[] }) {
  const [filters, setFilter, clear] = useGatewayFilters();
  const versions = useVersions();
  const [search, setSearch] = useState(filters.search ?? '');
  const [tag, setTag] = useState(filters.tag ?? '');
  const applySearch = useDebouncedCallback((value: string) => setFilter('search', value.trim() || null), 300);
  const applyTag = useDebouncedCallback((value: string) => setFilter('tag', normalizeTag(value)), 300);
  const active = Object.values(filters).some((value) => value !== undefined);

  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: companies ? 6 : 5 }} aria-label="Filters">
      <TextInput
        label="Search"
        placeholder="Gateway id or name"
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          applySearch(event.currentTarget.value);
        }}
      />
      <TextInput
        label="Tag"
        placeholder="e.g. canary"
        value={tag}
        onChange={(event) => {
          setTag(event.currentTarget.value);
          applyTag(event.currentTarget.value);
        }}
      />
      {companies && (
        <Select
          label="Company"
          placeholder="All companies"
          clearable
          searchable
          data={companies}
          value={filters.companyId ?? null}
          onChange={(value) => setFilter('companyId', value)}
        />
      )}
      <Select
        label="Version"
        placeholder="Any version"
        clearable
        searchable
        data={(versions.data?.items ?? []).map((version) => version.version)}
        value={filters.version ?? null}
        onChange={(value) => setFilter('version', value)}
      />
      <Select
        label="Upgrade status"
        placeholder="Any"
        clearable
        data={UPGRADE_STATUS_FILTERS.map((value) => ({ value, label: STATUS_LABELS[value] }))}
        value={filters.upgradeStatus ?? null}
        onChange={(value) => setFilter('upgradeStatus', value)}
      />
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <Select
          label="Connection"
          placeholder="Any"
          clearable
          data={[
            { value: 'true', label: 'Online' },
            { value: 'false', label: 'Offline' },
          ]}
          value={filters.online === undefined ? null : String(filters.online)}
          onChange={(value) => setFilter('online', value)}
          style={{ flex: 1 }}
        />
        {active && (
          <Button
            variant="subtle"
            onClick={() => {
              setSearch('');
              setTag('');
              clear();
            }}
          >
            Clear
          </Button>
        )}
      </Group>
    </SimpleGrid>
  );
}

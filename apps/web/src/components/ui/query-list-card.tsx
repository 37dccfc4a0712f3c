import { Card } from '@mantine/core';
import type { ReactNode } from 'react';
import { ErrorState, LoadingState } from './page-states';

/** The parts of a TanStack list query the card reads. */
export interface ListQuery<D extends { items: unknown[] }> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: D | undefined;
  refetch: () => unknown;
}

interface QueryListCardProps<D extends { items: unknown[] }> {
  query: ListQuery<D>;
  loadingLabel: string;
  loadingRows: number;
  errorTitle: string;
  /** Shown when the list has no items. */
  empty: ReactNode;
  /** Renders a list with at least one item. */
  children: (data: D) => ReactNode;
}

/** A bordered card showing a list query's loading, error, empty or loaded state. */
export function QueryListCard<D extends { items: unknown[] }>({ query, loadingLabel, loadingRows, errorTitle, empty, children }: QueryListCardProps<D>) {
  return (
    <Card withBorder>
      {query.isPending && <LoadingState rows={loadingRows} label={loadingLabel} />}
      {query.isError && <ErrorState title={errorTitle} error={query.error} onRetry={() => void query.refetch()} />}
      {query.data && query.data.items.length === 0 && empty}
      {query.data && query.data.items.length > 0 && children(query.data)}
    </Card>
  );
}

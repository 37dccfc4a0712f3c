import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';

export const getCompanies = (signal?: AbortSignal) => apiRequest('get', '/api/companies', { signal });

export const getCompaniesQueryOptions = () => queryOptions({ queryKey: ['companies'], queryFn: ({ signal }) => getCompanies(signal) });

export const useCompanies = ({ enabled = true }: { enabled?: boolean } = {}) => useQuery({ ...getCompaniesQueryOptions(), enabled });

/** "Acme (2)", or the bare id while the list loads or for an unknown company. */
export function companyLabel(companies: { companyId: string; name: string }[] | undefined, companyId: string): string {
  const company = companies?.find((candidate) => candidate.companyId === companyId);
  return company ? `${company.name} (${company.companyId})` : `Company ${companyId}`;
}

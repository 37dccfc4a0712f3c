import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CompanyDto, UpdateCompanyDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const updateCompany = (companyId: string, changes: UpdateCompanyDto) =>
  api<CompanyDto>(`/api/companies/${encodeURIComponent(companyId)}`, { method: 'PATCH', body: changes });

export function useUpdateCompany() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ companyId, changes }: { companyId: string; changes: UpdateCompanyDto }) => updateCompany(companyId, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['companies'] }),
  });
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UpdateCompanyDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const updateCompany = (companyId: string, changes: UpdateCompanyDto) =>
  apiRequest('patch', '/api/companies/{companyId}', { path: { companyId }, body: changes });

export function useUpdateCompany() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ companyId, changes }: { companyId: string; changes: UpdateCompanyDto }) => updateCompany(companyId, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['companies'] }),
  });
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CompanyDto, CreateCompanyDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const createCompany = (input: CreateCompanyDto) => api<CompanyDto>('/api/companies', { method: 'POST', body: input });

export function useCreateCompany() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createCompany, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['companies'] }) });
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateCompanyDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const createCompany = (input: CreateCompanyDto) => apiRequest('post', '/api/companies', { body: input });

export function useCreateCompany() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createCompany, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['companies'] }) });
}

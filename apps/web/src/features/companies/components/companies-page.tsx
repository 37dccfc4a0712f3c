import { Alert, Badge, Button, Group, Modal, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type CompanyDto, CreateCompanyDto, SUPER_COMPANY_ID, UpdateCompanyDto } from '@upgrade-manager/dto';
import { type FormEvent, useState } from 'react';
import { EmptyState } from '../../../components/ui/page-states';
import { QueryListCard } from '../../../components/ui/query-list-card';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { formatDateTime } from '../../../utils/format';
import { useCreateCompany } from '../api/create-company';
import { useCompanies } from '../api/get-companies';
import { useUpdateCompany } from '../api/update-company';

function CompanyFormModal({ company, onClose }: { company?: CompanyDto; onClose: () => void }) {
  const create = useCreateCompany();
  const update = useUpdateCompany();
  const mutation = company ? update : create;
  const [companyId, setCompanyId] = useState(company?.companyId ?? '');
  const [name, setName] = useState(company?.name ?? '');
  const [enabled, setEnabled] = useState(company?.enabled ?? true);
  const [errors, setErrors] = useState<FieldErrors<CreateCompanyDto>>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (company) {
      const changes: UpdateCompanyDto = {};
      if (name.trim() !== company.name) changes.name = name;
      if (enabled !== company.enabled) changes.enabled = enabled;
      const found = validateDto(UpdateCompanyDto, changes);
      setErrors(found);
      if (hasErrors(found)) return;
      if (Object.keys(changes).length === 0) return onClose();
      update.mutate(
        { companyId: company.companyId, changes },
        { onSuccess: () => (notifications.show({ color: 'teal', message: `Company ${company.companyId} saved.` }), onClose()) },
      );
      return;
    }
    const input: CreateCompanyDto = { companyId: companyId.trim(), name };
    const found = validateDto(CreateCompanyDto, input);
    if (found.companyId) found.companyId = 'Use 1 to 64 letters, digits, “-” or “_” — the id its gateways send in their Status.';
    setErrors(found);
    if (hasErrors(found)) return;
    create.mutate(input, {
      onSuccess: (saved) => (notifications.show({ color: 'teal', message: `Company ${saved.name} (${saved.companyId}) created.` }), onClose()),
    });
  };

  return (
    <Modal opened onClose={onClose} title={company ? `Edit company ${company.companyId}` : 'New company'} centered>
      <form onSubmit={submit} noValidate aria-label={company ? 'Edit company' : 'New company'}>
        <Stack>
          {mutation.isError && (
            <Alert color="red" role="alert" title="Not saved">
              {mutation.error.message}
            </Alert>
          )}
          <TextInput
            label="Company id"
            description="The companyId its gateways report; it cannot change later."
            value={companyId}
            onChange={(e) => setCompanyId(e.currentTarget.value)}
            error={errors.companyId}
            disabled={company !== undefined}
            required
          />
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} required />
          {company && company.companyId !== SUPER_COMPANY_ID && (
            <Switch label="Enabled (users of a disabled company cannot log in)" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={mutation.isPending}>
              {company ? 'Save' : 'Create company'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function CompaniesPage() {
  const companies = useCompanies();
  const [editing, setEditing] = useState<CompanyDto | 'new' | null>(null);
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Companies</Title>
        <Button onClick={() => setEditing('new')}>New company</Button>
      </Group>
      <Text c="dimmed" size="sm">
        A gateway's first Status creates its company with a default name; rename it here.
      </Text>
      <QueryListCard
        query={companies}
        loadingRows={4}
        loadingLabel="Loading companies…"
        errorTitle="Cannot load the companies"
        empty={<EmptyState title="No companies">Create one with “New company”.</EmptyState>}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={560}>
            <Table striped highlightOnHover aria-label="Companies">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Id</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((company) => (
                  <Table.Tr key={company.companyId}>
                    <Table.Td>{company.companyId}</Table.Td>
                    <Table.Td>
                      {company.name}
                      {company.companyId === SUPER_COMPANY_ID && (
                        <Badge ml="xs" color="grape" variant="light">
                          super company
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{company.enabled ? 'enabled' : <Badge color="red">disabled</Badge>}</Table.Td>
                    <Table.Td>{formatDateTime(company.createdAt)}</Table.Td>
                    <Table.Td>
                      <Button size="xs" variant="subtle" onClick={() => setEditing(company)} aria-label={`Edit company ${company.companyId}`}>
                        Edit
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryListCard>
      {editing !== null && <CompanyFormModal company={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

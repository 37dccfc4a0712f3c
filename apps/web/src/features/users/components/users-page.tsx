import { Badge, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import type { Role, UserDto } from '@upgrade-manager/dto';
import { useState } from 'react';
import { EmptyState } from '../../../components/ui/page-states';
import { QueryListCard } from '../../../components/ui/query-list-card';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatDateTime } from '../../../utils/format';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useUsers } from '../api/get-users';
import { UserFormModal } from './user-form-modal';

const ROLE_COLORS: Record<Role, string> = { super: 'grape', admin: 'indigo', user: 'gray' };

export function UsersPage() {
  const { user: me } = useSession();
  const seesAll = policies.seeAllCompanies(me.role);
  const [companyId, setCompanyId] = useState<string | null>(null);
  const users = useUsers(companyId ? { companyId } : {});
  const companies = useCompanies({ enabled: seesAll });
  const [editing, setEditing] = useState<UserDto | 'new' | null>(null);

  // Admins never manage super users (the API refuses it too).
  const canEdit = (target: UserDto) => me.role === 'super' || target.role !== 'super';

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Users</Title>
        <Button onClick={() => setEditing('new')}>New user</Button>
      </Group>
      {seesAll && (
        <Select
          label="Company"
          placeholder="Every company"
          clearable
          searchable
          maw={320}
          data={(companies.data?.items ?? []).map((company) => ({ value: company.companyId, label: companyLabel(companies.data?.items, company.companyId) }))}
          value={companyId}
          onChange={setCompanyId}
        />
      )}
      <QueryListCard
        query={users}
        loadingRows={5}
        loadingLabel="Loading users…"
        errorTitle="Cannot load the users"
        empty={<EmptyState title="No users here">Create one with “New user”.</EmptyState>}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover aria-label="Users">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Company</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>
                      {user.name}
                      {user.id === me.id && (
                        <Text span c="dimmed" size="xs">
                          {' '}
                          (you)
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>
                      <Badge color={ROLE_COLORS[user.role]} variant="light">
                        {user.role}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{seesAll ? companyLabel(companies.data?.items, user.companyId) : user.companyId}</Table.Td>
                    <Table.Td>{user.enabled ? <Text size="sm">enabled</Text> : <Badge color="red">disabled</Badge>}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(user.createdAt)}</Table.Td>
                    <Table.Td>
                      {canEdit(user) && (
                        <Button size="xs" variant="subtle" onClick={() => setEditing(user)} aria-label={`Edit ${user.email}`}>
                          Edit
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryListCard>
      {editing !== null && (
        <UserFormModal key={editing === 'new' ? 'new' : editing.id} opened user={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />
      )}
    </Stack>
  );
}

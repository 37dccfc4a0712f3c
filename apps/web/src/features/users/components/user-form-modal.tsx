import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Switch, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { CreateUserDto, type Role, SUPER_COMPANY_ID, UpdateUserDto, type UserDto } from '@upgrade-manager/dto';
import { type FormEvent, useState } from 'react';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useCreateUser } from '../api/create-user';
import { useUpdateUser } from '../api/update-user';

const ROLE_LABELS: Record<Role, string> = { super: 'Super user (every company)', admin: 'Admin (manages its company)', user: 'User (looks only)' };

interface Values {
  email: string;
  name: string;
  password: string;
  role: Role;
  companyId: string;
  enabled: boolean;
}

/** Creates a user (no `user` given) or edits one, offering only the roles and companies the caller may give. */
export function UserFormModal({ user, opened, onClose }: { user?: UserDto; opened: boolean; onClose: () => void }) {
  const { user: me } = useSession();
  const companies = useCompanies({ enabled: policies.changeCompany(me.role) });
  const create = useCreateUser();
  const update = useUpdateUser();
  const mutation = user ? update : create;
  const [values, setValues] = useState<Values>(() => ({
    email: user?.email ?? '',
    name: user?.name ?? '',
    password: '',
    role: user?.role ?? 'user',
    companyId: user?.companyId ?? me.companyId,
    enabled: user?.enabled ?? true,
  }));
  const [errors, setErrors] = useState<FieldErrors<Values>>({});
  const roles = policies.assignableRoles(me.role);
  const canChangeCompany = policies.changeCompany(me.role);
  const isSelf = user?.id === me.id;

  const set = <K extends keyof Values>(name: K, value: Values[K]) =>
    setValues((current) => {
      const next = { ...current, [name]: value };
      // Super users always belong to the super company.
      if (name === 'role' && value === 'super') next.companyId = SUPER_COMPANY_ID;
      return next;
    });

  const close = () => {
    mutation.reset();
    setErrors({});
    onClose();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (user) {
      const changes: UpdateUserDto = {};
      if (values.email.trim() !== user.email) changes.email = values.email;
      if (values.name.trim() !== user.name) changes.name = values.name;
      if (values.password) changes.password = values.password;
      if (values.role !== user.role) changes.role = values.role;
      if (values.companyId !== user.companyId) changes.companyId = values.companyId;
      if (values.enabled !== user.enabled) changes.enabled = values.enabled;
      const found = validateDto(UpdateUserDto, changes);
      setErrors(found);
      if (hasErrors(found)) return;
      if (Object.keys(changes).length === 0) return close();
      update.mutate({ id: user.id, changes }, { onSuccess: (saved) => (notifications.show({ color: 'teal', message: `${saved.email} saved.` }), close()) });
      return;
    }
    const input: CreateUserDto = { email: values.email, name: values.name, password: values.password, role: values.role, companyId: values.companyId };
    const found = validateDto(CreateUserDto, input);
    setErrors(found);
    if (hasErrors(found)) return;
    create.mutate(input, { onSuccess: (saved) => (notifications.show({ color: 'teal', message: `${saved.email} can now log in.` }), close()) });
  };

  const companyOptions = (companies.data?.items ?? []).map((company) => ({
    value: company.companyId,
    label: companyLabel(companies.data?.items, company.companyId),
  }));

  return (
    <Modal opened={opened} onClose={close} title={user ? `Edit ${user.email}` : 'New user'} centered>
      <form onSubmit={submit} noValidate aria-label={user ? 'Edit user' : 'New user'}>
        <Stack>
          {mutation.isError && (
            <Alert color="red" role="alert" title="Not saved">
              {mutation.error.message}
            </Alert>
          )}
          <TextInput label="Email" type="email" value={values.email} onChange={(e) => set('email', e.currentTarget.value)} error={errors.email} required />
          <TextInput label="Name" value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={errors.name} required />
          <PasswordInput
            label={user ? 'New password' : 'Password'}
            description={user ? 'Leave empty to keep the current password.' : 'At least 8 characters; tell the user to change it.'}
            value={values.password}
            onChange={(e) => set('password', e.currentTarget.value)}
            error={errors.password}
            required={!user}
            autoComplete="new-password"
          />
          <Select
            label="Role"
            data={roles.map((role) => ({ value: role, label: ROLE_LABELS[role] }))}
            value={values.role}
            onChange={(value) => value && set('role', value as Role)}
            error={errors.role}
            allowDeselect={false}
            disabled={isSelf}
            description={isSelf ? 'You cannot change your own role.' : undefined}
          />
          {canChangeCompany ? (
            <Select
              label="Company"
              data={companyOptions}
              value={values.companyId}
              onChange={(value) => value && set('companyId', value)}
              error={errors.companyId}
              searchable
              allowDeselect={false}
              disabled={values.role === 'super' || isSelf}
              description={values.role === 'super' ? 'Super users belong to the super company.' : undefined}
            />
          ) : (
            <TextInput label="Company" value={values.companyId} disabled description="Admins manage users of their own company." />
          )}
          {user && !isSelf && (
            <Switch label="Enabled (disabled users cannot log in)" checked={values.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={mutation.isPending}>
              {user ? 'Save' : 'Create user'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

import { Alert, Badge, Button, Card, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { UpdateProfileDto } from '@upgrade-manager/dto';
import { type FormEvent, useState } from 'react';
import { useSession } from '../../../lib/auth';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { useUpdateMe } from '../../auth/api/update-me';

function NameForm() {
  const { user } = useSession();
  const [name, setName] = useState(user.name);
  const [errors, setErrors] = useState<FieldErrors<UpdateProfileDto>>({});
  const update = useUpdateMe();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateDto(UpdateProfileDto, { name });
    if (!name.trim()) found.name = 'Enter your name.';
    setErrors(found);
    if (hasErrors(found)) return;
    update.mutate({ name }, { onSuccess: () => notifications.show({ color: 'teal', message: 'Your name is saved.' }) });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Name">
      <Stack>
        {update.isError && (
          <Alert color="red" role="alert">
            {update.error.message}
          </Alert>
        )}
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} />
        <Group>
          <Button type="submit" loading={update.isPending} disabled={name.trim() === user.name}>
            Save name
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PasswordForm() {
  const [currentPassword, setCurrentPassword] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<FieldErrors<UpdateProfileDto & { repeat: string }>>({});
  const update = useUpdateMe();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: FieldErrors<UpdateProfileDto & { repeat: string }> = validateDto(UpdateProfileDto, { password, currentPassword });
    if (!currentPassword) found.currentPassword = 'Enter your current password.';
    if (!password) found.password = 'Enter a new password.';
    if (password !== repeat) found.repeat = 'The two new passwords differ.';
    setErrors(found);
    if (hasErrors(found)) return;
    update.mutate(
      { password, currentPassword },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: 'Your password is changed. Use it the next time you log in.' });
          setCurrentPassword('');
          setPassword('');
          setRepeat('');
        },
      },
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Password">
      <Stack>
        {update.isError && (
          <Alert color="red" role="alert">
            {update.error.message}
          </Alert>
        )}
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrentPassword(e.currentTarget.value)}
          error={errors.currentPassword}
        />
        <PasswordInput
          label="New password"
          description="At least 8 characters."
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={errors.password}
        />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.currentTarget.value)}
          error={errors.repeat}
        />
        <Group>
          <Button type="submit" loading={update.isPending}>
            Change password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ProfilePage() {
  const { user, mode } = useSession();
  return (
    <Stack gap="lg">
      <Title order={2}>Profile</Title>
      <Card withBorder>
        <Group gap="lg">
          <div>
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              Email
            </Text>
            <Text>{user.email}</Text>
          </div>
          <div>
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              Role
            </Text>
            <Badge variant="light">{user.role}</Badge>
          </div>
          <div>
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              Company
            </Text>
            <Text>{user.companyId}</Text>
          </div>
        </Group>
      </Card>
      {mode === 'none' ? (
        <Alert color="yellow" title="Development mode">
          The API runs without login (AUTH_MODE=none), so there is no profile to change.
        </Alert>
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder>
            <Title order={4} mb="sm">
              Name
            </Title>
            <NameForm />
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              Password
            </Title>
            <PasswordForm />
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}

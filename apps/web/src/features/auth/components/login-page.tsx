import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { LoadingState } from '../../../components/ui/page-states';
import { paths } from '../../../config/paths';
import { LoginDto } from '@upgrade-manager/dto';
import { ApiError } from '../../../lib/api-client';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { useSessionQuery } from '../../../lib/session';
import { useLogin } from '../api/login';

function safeRedirect(target: string | null): string {
  // Only same-app paths: never bounce a user to another site after login.
  return target && target.startsWith('/') && !target.startsWith('//') ? target : paths.dashboard.getHref();
}

export function LoginPage() {
  const [searchParams] = useSearchParams();
  const redirectTo = safeRedirect(searchParams.get('redirectTo'));
  const navigate = useNavigate();
  const session = useSessionQuery();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors<LoginDto>>({});

  if (session.isPending) return <LoadingState label="Connecting to the server…" />;
  // Logged in already, or the API runs without login (development mode).
  if (session.data) return <Navigate to={redirectTo} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateDto(LoginDto, { email, password });
    if (!email.trim()) found.email = 'Enter the email address of your account.';
    if (!password) found.password = 'Enter your password.';
    setErrors(found);
    if (hasErrors(found)) return;
    login.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(redirectTo, { replace: true }) });
  };

  const failure =
    login.error instanceof ApiError && login.error.status === 401
      ? 'Wrong email or password. Check both and try again.'
      : login.error instanceof ApiError && login.error.status === 429
        ? 'Too many attempts. Wait a minute before trying again.'
        : login.error?.message;

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={400}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <div>
              <Title order={2}>Upgrade Manager</Title>
              <Text c="dimmed" size="sm">
                Log in to manage your gateways.
              </Text>
            </div>
            {session.isError && (
              <Alert color="orange" title="The server is not answering">
                {session.error.message}
              </Alert>
            )}
            {failure && (
              <Alert color="red" role="alert">
                {failure}
              </Alert>
            )}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
              error={errors.email}
              required
              autoFocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              error={errors.password}
              required
            />
            <Button type="submit" loading={login.isPending} fullWidth>
              Log in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}

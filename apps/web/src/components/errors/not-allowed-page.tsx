import { Button, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { paths } from '../../config/paths';

export function NotAllowedPage() {
  return (
    <Stack align="center" py="xl" gap="sm" ta="center">
      <Title order={2}>Not allowed</Title>
      <Text c="dimmed" maw={460}>
        Your role does not give access to this page. Ask an administrator of your company if you need it.
      </Text>
      <Button component={Link} to={paths.dashboard.getHref()} variant="light">
        Back to the dashboard
      </Button>
    </Stack>
  );
}

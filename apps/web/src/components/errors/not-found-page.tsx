import { Button, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { paths } from '../../config/paths';

export function NotFoundPage() {
  return (
    <Stack align="center" py="xl" gap="sm" ta="center">
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">There is nothing at this address. Check the link or use the navigation.</Text>
      <Button component={Link} to={paths.dashboard.getHref()} variant="light">
        Back to the dashboard
      </Button>
    </Stack>
  );
}

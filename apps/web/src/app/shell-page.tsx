import { Container, Text, Title } from '@mantine/core';

export function ShellPage() {
  return (
    <Container py="xl">
      <Title order={1}>Upgrade Manager</Title>
      <Text c="dimmed">Software upgrades for your gateway fleet.</Text>
    </Container>
  );
}

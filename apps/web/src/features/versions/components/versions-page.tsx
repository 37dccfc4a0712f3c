import { ActionIcon, Badge, Button, Card, CopyButton, Group, Modal, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { VersionDto } from '@upgrade-manager/dto';
import { useState } from 'react';
import { EmptyState } from '../../../components/ui/page-states';
import { QueryListCard } from '../../../components/ui/query-list-card';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatBytes, formatDateTime } from '../../../utils/format';
import { useDeleteVersion } from '../api/delete-version';
import { useVersions } from '../api/get-versions';
import { UploadVersionForm } from './upload-version-form';

function DeleteVersionModal({ version, onClose }: { version: VersionDto | null; onClose: () => void }) {
  const remove = useDeleteVersion();
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Modal opened={version !== null} onClose={close} title={`Delete version ${version?.version ?? ''}?`} centered>
      {version && (
        <Stack>
          <Text size="sm">
            The image ({formatBytes(version.size)}) is removed from the server and from the resources folder. Gateways that ask for this version later get
            nothing. {version.latest && 'It is the latest version: the previous one becomes latest and is announced to every gateway.'}
          </Text>
          <Text size="sm" fw={500}>
            This cannot be undone.
          </Text>
          {remove.isError && (
            <Text c="red" size="sm" role="alert">
              {remove.error.message}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Keep it
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(version.version, {
                  onSuccess: () => {
                    notifications.show({ message: `Version ${version.version} deleted.` });
                    close();
                  },
                })
              }
            >
              Delete version {version.version}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

export function VersionsPage() {
  const { user } = useSession();
  const versions = useVersions();
  const [toDelete, setToDelete] = useState<VersionDto | null>(null);
  const canManage = policies.manageVersions(user.role);
  const latest = versions.data?.items.find((version) => version.latest)?.version ?? null;

  return (
    <Stack gap="lg">
      <Title order={2}>Versions</Title>
      {canManage && (
        <Card withBorder>
          <Title order={4} mb="sm">
            Upload a version
          </Title>
          <UploadVersionForm latest={latest} />
        </Card>
      )}
      <QueryListCard
        query={versions}
        loadingRows={4}
        loadingLabel="Loading versions…"
        errorTitle="Cannot load the versions"
        empty={
          <EmptyState title="No versions yet">
            {canManage ? 'Upload an image above, or drop a file into the server’s resources folder.' : 'An administrator uploads versions; they appear here.'}
          </EmptyState>
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover aria-label="Versions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>SHA-256</Table.Th>
                  <Table.Th>Added</Table.Th>
                  <Table.Th>By</Table.Th>
                  {canManage && <Table.Th aria-label="Actions" />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((version) => (
                  <Table.Tr key={version.version} data-testid={`version-row-${version.version}`}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Text fw={600}>{version.version}</Text>
                        {version.latest && <Badge color="teal">latest</Badge>}
                      </Group>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }} title={`${version.size.toLocaleString('en-US')} bytes`}>
                      {formatBytes(version.size)}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Text ff="monospace" size="xs" title={version.sha256}>
                          {version.sha256.slice(0, 16)}…
                        </Text>
                        <CopyButton value={version.sha256}>
                          {({ copied, copy }) => (
                            <Tooltip label={copied ? 'Copied' : 'Copy the full SHA-256'}>
                              <ActionIcon variant="subtle" size="sm" onClick={copy} aria-label={`Copy SHA-256 of ${version.version}`}>
                                {copied ? '✓' : '⧉'}
                              </ActionIcon>
                            </Tooltip>
                          )}
                        </CopyButton>
                      </Group>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(version.createdAt)}</Table.Td>
                    <Table.Td>
                      {version.createdBy?.email ?? (
                        <Text span c="dimmed">
                          resources folder
                        </Text>
                      )}
                    </Table.Td>
                    {canManage && (
                      <Table.Td>
                        <Button size="xs" variant="subtle" color="red" onClick={() => setToDelete(version)}>
                          Delete
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryListCard>
      <DeleteVersionModal version={toDelete} onClose={() => setToDelete(null)} />
    </Stack>
  );
}

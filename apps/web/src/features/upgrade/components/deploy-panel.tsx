import { Alert, Button, Card, Checkbox, Group, List, Modal, Select, Stack, Text } from '@mantine/core';
import type { DeploymentCreatedDto } from '@upgrade-manager/dto';
import { useState } from 'react';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { formatNumber, plural } from '../../../utils/format';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useCreateDeployments } from '../../deployments/api/create-deployment';
import { useVersions } from '../../versions/api/get-versions';
import { describeSelection, emptySelection, isEmpty, planDeployments, type Selection, setAll } from './selection';

interface DeployPanelProps {
  selection: Selection;
  onSelectionChange: (selection: Selection) => void;
  companyCounts: ReadonlyMap<string, number>;
  onDeployed: (deployments: DeploymentCreatedDto[]) => void;
}

export function DeployPanel({ selection, onSelectionChange, companyCounts, onDeployed }: DeployPanelProps) {
  const { user } = useSession();
  const versions = useVersions();
  const companies = useCompanies();
  const [picked, setPicked] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const deploy = useCreateDeployments();
  const latest = versions.data?.items.find((version) => version.latest)?.version ?? null;
  const version = picked ?? latest;
  const { total, parts } = describeSelection(selection, companyCounts);
  const names = companies.data?.items;

  const confirm = () => {
    if (!version) return;
    deploy.mutate(planDeployments(selection, version), {
      onSuccess: (created) => {
        setConfirming(false);
        onSelectionChange(emptySelection);
        onDeployed(created);
      },
    });
  };

  return (
    <Card withBorder>
      <Group align="flex-end" justify="space-between" gap="sm">
        <Group align="flex-end" gap="sm">
          <Select
            label="Version to deploy"
            placeholder={versions.isPending ? 'Loading…' : 'Upload a version first'}
            data={(versions.data?.items ?? []).map((item) => ({ value: item.version, label: item.latest ? `${item.version} (latest)` : item.version }))}
            value={version}
            onChange={setPicked}
            allowDeselect={false}
            w={200}
          />
          <Stack gap={2}>
            <Text size="sm" fw={500} data-testid="selection-summary">
              {isEmpty(selection) ? 'No gateway selected' : `${plural(total, 'gateway')} selected${parts.length > 1 ? ` in ${parts.length} companies` : ''}`}
            </Text>
            {!isEmpty(selection) && (
              <Button variant="subtle" size="compact-xs" onClick={() => onSelectionChange(emptySelection)}>
                Clear selection
              </Button>
            )}
          </Stack>
        </Group>
        <Group gap="sm">
          {policies.deployToAll(user.role) && (
            <Checkbox
              label="Every gateway of every company"
              checked={selection.all}
              onChange={(event) => onSelectionChange(setAll(event.currentTarget.checked))}
            />
          )}
          <Button disabled={isEmpty(selection) || !version || total === 0} onClick={() => setConfirming(true)}>
            Deploy…
          </Button>
        </Group>
      </Group>
      <Modal opened={confirming} onClose={() => !deploy.isPending && setConfirming(false)} title="Confirm the deployment" centered size="lg">
        <Stack>
          <Text>
            Deploy version <b>{version}</b> to <b data-testid="confirm-total">{plural(total, 'gateway')}</b>
            {parts.length === 1 ? ` of ${companyLabel(names, parts[0].companyId)}` : ` of ${parts.length} companies`}:
          </Text>
          <List size="sm" spacing={2} data-testid="confirm-parts">
            {parts.map((part) => (
              <List.Item key={part.companyId}>
                {formatNumber(part.count)} of {companyLabel(names, part.companyId)}
                {part.wholeCompany ? ' (the whole company)' : ''}
              </List.Item>
            ))}
          </List>
          <Text size="sm" c="dimmed">
            Each gateway installs the image at once and reports its new version; the page shows them turn from pending to confirmed. Disabled gateways are
            skipped.
          </Text>
          {deploy.isError && (
            <Alert color="red" role="alert" title="Not deployed">
              {deploy.error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)} disabled={deploy.isPending}>
              Cancel
            </Button>
            <Button onClick={confirm} loading={deploy.isPending}>
              Deploy {version} to {plural(total, 'gateway')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { CreateRolloutDto, WEEKDAYS, type GatewayFilterDto, type Weekday } from '@upgrade-manager/dto';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { paths } from '../../../config/paths';
import { useSession } from '../../../lib/auth';
import { policies } from '../../../lib/authorization';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { formatNumber, plural } from '../../../utils/format';
import { companyLabel, useCompanies } from '../../companies/api/get-companies';
import { useVersions } from '../../versions/api/get-versions';
import { useMatchingGatewayCount } from '../api/count-matching-gateways';
import { useCreateRollout } from '../api/create-rollout';
import { defaultRolloutValues, type PhaseValue, type RolloutFormValues, toCreateRolloutRequest, toGatewayFilter } from './rollout-request';

function MatchCount({ values }: { values: RolloutFormValues }) {
  const { user } = useSession();
  const companies = useCompanies({ enabled: policies.seeAllCompanies(user.role) });
  // Debounced as text: a new filter object on every render would restart the timer for ever.
  const [filterText] = useDebouncedValue(JSON.stringify(toGatewayFilter(values)), 300);
  const count = useMatchingGatewayCount(JSON.parse(filterText) as GatewayFilterDto);
  if (count.isError)
    return (
      <Text c="red" size="sm">
        {count.error.message}
      </Text>
    );
  if (!count.data)
    return (
      <Text size="sm" c="dimmed">
        Counting matching gateways…
      </Text>
    );
  return (
    <Text size="sm" data-testid="match-count">
      <b>{formatNumber(count.data.total)}</b> {plural(count.data.total, 'gateway')} match now
      {count.data.companies.length > 0 &&
        ` (${count.data.companies.map((entry) => `${companyLabel(companies.data?.items, entry.companyId)}: ${formatNumber(entry.count)}`).join(', ')})`}
    </Text>
  );
}

function PhasesInput({ phases, onChange }: { phases: PhaseValue[]; onChange: (phases: PhaseValue[]) => void }) {
  const update = (index: number, phase: PhaseValue) => onChange(phases.map((current, at) => (at === index ? phase : current)));
  return (
    <Stack gap="xs">
      {phases.map((phase, index) => (
        <Group key={index} gap="xs" align="flex-end">
          <NumberInput
            label={`Phase ${index + 1}`}
            aria-label={`Phase ${index + 1} size`}
            min={phase.kind === 'percent' ? 0.01 : 1}
            max={phase.kind === 'percent' ? 100 : 10_000}
            value={phase.value}
            onChange={(value) => update(index, { ...phase, value })}
            w={140}
          />
          <SegmentedControl
            aria-label={`Phase ${index + 1} unit`}
            data={[
              { value: 'percent', label: '% of all (cumulative)' },
              { value: 'count', label: 'gateways more' },
            ]}
            value={phase.kind}
            onChange={(kind) => update(index, { ...phase, kind: kind as PhaseValue['kind'] })}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove phase ${index + 1}`}
            disabled={phases.length === 1}
            onClick={() => onChange(phases.filter((_, at) => at !== index))}
          >
            ✕
          </ActionIcon>
        </Group>
      ))}
      <Button variant="light" size="xs" w="fit-content" onClick={() => onChange([...phases, { kind: 'percent', value: 100 }])}>
        Add phase
      </Button>
    </Stack>
  );
}

/** The form of a new rollout: version, filter with a live count, phases, thresholds, pace, window. */
export function NewRolloutPage() {
  const { user } = useSession();
  const navigate = useNavigate();
  const seesAll = policies.seeAllCompanies(user.role);
  const versions = useVersions();
  const companies = useCompanies({ enabled: seesAll });
  const create = useCreateRollout();
  const [values, setValues] = useState<RolloutFormValues>(() => defaultRolloutValues());
  const [errors, setErrors] = useState<FieldErrors<CreateRolloutDto>>({});
  const set = <K extends keyof RolloutFormValues>(name: K, value: RolloutFormValues[K]) => setValues((current) => ({ ...current, [name]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request = toCreateRolloutRequest(values);
    const found = validateDto(CreateRolloutDto, request);
    setErrors(found);
    if (hasErrors(found)) return;
    create.mutate(request, { onSuccess: (rollout) => navigate(paths.rollout.getHref(rollout.id)) });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="New rollout">
      <Stack>
        <Anchor component={Link} to={paths.rollouts.getHref()} size="sm">
          ← Rollouts
        </Anchor>
        <Title order={2}>New rollout</Title>
        {create.isError && (
          <Alert color="red" role="alert" title="Not started">
            {create.error.message}
          </Alert>
        )}
        <Card withBorder>
          <Stack>
            <Select
              label="Version"
              placeholder="Pick a version"
              required
              data={(versions.data?.items ?? []).map((version) => ({
                value: version.version,
                label: version.latest ? `${version.version} (latest)` : version.version,
              }))}
              value={values.version}
              onChange={(value) => set('version', value)}
              error={errors.version}
            />
            <Title order={4}>Gateways</Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {seesAll && (
                <Select
                  label="Company"
                  placeholder="Every company"
                  clearable
                  searchable
                  data={(companies.data?.items ?? []).map((company) => ({ value: company.companyId, label: `${company.name} (${company.companyId})` }))}
                  value={values.companyId}
                  onChange={(value) => set('companyId', value)}
                />
              )}
              <TagsInput label="Tags (all of them)" placeholder="e.g. canary" value={values.tags} onChange={(tags) => set('tags', tags)} />
              <TagsInput label="Current versions (any of them)" placeholder="e.g. 0.5" value={values.versions} onChange={(list) => set('versions', list)} />
              <Select
                label="Connection"
                data={[
                  { value: 'any', label: 'Online or offline' },
                  { value: 'online', label: 'Online now' },
                  { value: 'offline', label: 'Offline now' },
                ]}
                value={values.online}
                onChange={(value) => set('online', (value ?? 'any') as RolloutFormValues['online'])}
              />
              <TextInput
                label="Id or name pattern"
                description="* any text, ? one character"
                placeholder="gw-eu-*"
                value={values.idPattern}
                onChange={(event) => set('idPattern', event.currentTarget.value)}
                error={errors.filter}
              />
            </SimpleGrid>
            <MatchCount values={values} />
            <Switch
              label="Continuous: gateways that match later join the last phase"
              checked={values.continuous}
              onChange={(event) => set('continuous', event.currentTarget.checked)}
            />
          </Stack>
        </Card>
        <Card withBorder>
          <Stack>
            <Title order={4}>Phases</Title>
            <PhasesInput phases={values.phases} onChange={(phases) => set('phases', phases)} />
            {errors.phases && (
              <Text c="red" size="sm">
                {errors.phases}
              </Text>
            )}
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <NumberInput
                label="Success threshold (%)"
                description="Confirmed share that completes a phase"
                min={0}
                max={100}
                value={values.successPercent}
                onChange={(value) => set('successPercent', value)}
                error={errors.successThreshold}
              />
              <Switch
                mt="lg"
                label="Advance automatically (off: each phase waits for an approval)"
                checked={values.autoAdvance}
                onChange={(event) => set('autoAdvance', event.currentTarget.checked)}
              />
            </SimpleGrid>
            <Group align="flex-end">
              <Switch label="Abort on failures" checked={values.abortEnabled} onChange={(event) => set('abortEnabled', event.currentTarget.checked)} />
              <NumberInput
                label="Failure rate over (%)"
                min={0}
                max={100}
                disabled={!values.abortEnabled}
                value={values.abortPercent}
                onChange={(value) => set('abortPercent', value)}
                w={180}
              />
              <NumberInput
                label="after at least (finished)"
                min={1}
                disabled={!values.abortEnabled}
                value={values.abortMinFinished}
                onChange={(value) => set('abortMinFinished', value)}
                w={180}
              />
            </Group>
            {errors.abort && (
              <Text c="red" size="sm">
                {errors.abort}
              </Text>
            )}
          </Stack>
        </Card>
        <Card withBorder>
          <Stack>
            <Title order={4}>Pace and window</Title>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <NumberInput
                label="At most per minute"
                placeholder="No limit"
                min={1}
                value={values.maxPerMinute}
                onChange={(value) => set('maxPerMinute', value)}
                error={errors.maxPerMinute}
              />
              <NumberInput
                label="Random delay up to (s)"
                min={0}
                max={3600}
                value={values.jitterSeconds}
                onChange={(value) => set('jitterSeconds', value)}
                error={errors.jitterSeconds}
              />
            </SimpleGrid>
            <Switch
              label="Only inside a maintenance window"
              checked={values.windowEnabled}
              onChange={(event) => set('windowEnabled', event.currentTarget.checked)}
            />
            {values.windowEnabled && (
              <Stack gap="xs">
                <Checkbox.Group label="Days" value={values.windowDays} onChange={(days) => set('windowDays', days as Weekday[])}>
                  <Group gap="xs" mt={4}>
                    {WEEKDAYS.map((day) => (
                      <Checkbox key={day} value={day} label={day} />
                    ))}
                  </Group>
                </Checkbox.Group>
                <Group>
                  <TextInput label="From" type="time" value={values.windowFrom} onChange={(event) => set('windowFrom', event.currentTarget.value)} />
                  <TextInput label="To" type="time" value={values.windowTo} onChange={(event) => set('windowTo', event.currentTarget.value)} />
                  <TextInput label="Time zone" value={values.timeZone} onChange={(event) => set('timeZone', event.currentTarget.value)} />
                </Group>
                {errors.window && (
                  <Text c="red" size="sm">
                    {errors.window}
                  </Text>
                )}
              </Stack>
            )}
            <Group align="flex-end">
              <Switch label="Retry failed gateways" checked={values.retriesEnabled} onChange={(event) => set('retriesEnabled', event.currentTarget.checked)} />
              <NumberInput
                label="Retries"
                min={0}
                max={10}
                disabled={!values.retriesEnabled}
                value={values.retriesMax}
                onChange={(value) => set('retriesMax', value)}
                w={120}
              />
              <NumberInput
                label="First back-off (s)"
                min={1}
                disabled={!values.retriesEnabled}
                value={values.retriesBackoffSeconds}
                onChange={(value) => set('retriesBackoffSeconds', value)}
                w={160}
              />
            </Group>
            {errors.retries && (
              <Text c="red" size="sm">
                {errors.retries}
              </Text>
            )}
          </Stack>
        </Card>
        <Group>
          <Button type="submit" loading={create.isPending}>
            Start rollout
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

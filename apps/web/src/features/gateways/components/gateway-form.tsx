import { Alert, Button, Group, SimpleGrid, Stack, Switch, TagsInput, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type GatewayDto, UpdateGatewayDto } from '@upgrade-manager/dto';
import { type FormEvent, useState } from 'react';
import { type FieldErrors, hasErrors, validateDto } from '../../../lib/validate-dto';
import { useUpdateGateway } from '../api/update-gateway';

interface FormValues {
  name: string;
  address: string;
  latitude: string;
  longitude: string;
  enabled: boolean;
  tags: string[];
  companyId: string;
}

const toValues = (gateway: GatewayDto): FormValues => ({
  name: gateway.name ?? '',
  address: gateway.address ?? '',
  latitude: gateway.latitude === null ? '' : String(gateway.latitude),
  longitude: gateway.longitude === null ? '' : String(gateway.longitude),
  enabled: gateway.enabled,
  tags: gateway.tags,
  companyId: gateway.companyId,
});

const text = (value: string): string | null => (value.trim() === '' ? null : value.trim());
const number = (value: string): number | null => (value.trim() === '' ? null : Number(value.trim().replace(',', '.')));

/** Only the fields that changed, with empty inputs clearing the stored value. */
export function gatewayChanges(gateway: GatewayDto, values: FormValues): UpdateGatewayDto {
  const changes: UpdateGatewayDto = {};
  if (text(values.name) !== gateway.name) changes.name = text(values.name);
  if (text(values.address) !== gateway.address) changes.address = text(values.address);
  if (number(values.latitude) !== gateway.latitude) changes.latitude = number(values.latitude);
  if (number(values.longitude) !== gateway.longitude) changes.longitude = number(values.longitude);
  if (values.enabled !== gateway.enabled) changes.enabled = values.enabled;
  const tags = [...new Set(values.tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))].sort();
  if (tags.join(',') !== [...gateway.tags].sort().join(',')) changes.tags = tags;
  if (values.companyId.trim() !== gateway.companyId) changes.companyId = values.companyId.trim();
  return changes;
}

/** `canMove`: a super user, who may move the gateway to another company. */
export function GatewayForm({ gateway, canMove = false }: { gateway: GatewayDto; canMove?: boolean }) {
  const [values, setValues] = useState<FormValues>(() => toValues(gateway));
  const [errors, setErrors] = useState<FieldErrors<UpdateGatewayDto>>({});
  const update = useUpdateGateway(gateway.gatewayId);
  const changes = gatewayChanges(gateway, values);
  const dirty = Object.keys(changes).length > 0;

  const set = <K extends keyof FormValues>(name: K, value: FormValues[K]) => setValues((current) => ({ ...current, [name]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateDto(UpdateGatewayDto, changes);
    setErrors(found);
    if (hasErrors(found) || !dirty) return;
    update.mutate(changes, {
      onSuccess: (saved) => {
        setValues(toValues(saved));
        notifications.show({ color: 'teal', message: `Gateway ${saved.gatewayId} saved.` });
      },
    });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Edit gateway">
      <Stack>
        {update.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {update.error.message}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="Name"
            value={values.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            error={errors.name}
            placeholder="A name operators recognise"
          />
          <TextInput
            label="Address"
            value={values.address}
            onChange={(e) => set('address', e.currentTarget.value)}
            error={errors.address}
            placeholder="Street, city"
          />
          <TextInput
            label="Latitude"
            inputMode="decimal"
            value={values.latitude}
            onChange={(e) => set('latitude', e.currentTarget.value)}
            error={errors.latitude}
            placeholder="-90 … 90"
          />
          <TextInput
            label="Longitude"
            inputMode="decimal"
            value={values.longitude}
            onChange={(e) => set('longitude', e.currentTarget.value)}
            error={errors.longitude}
            placeholder="-180 … 180"
          />
          {canMove && (
            <TextInput
              label="Company"
              description="Moves the gateway to another existing company"
              value={values.companyId}
              onChange={(e) => set('companyId', e.currentTarget.value)}
              error={errors.companyId}
            />
          )}
        </SimpleGrid>
        <TagsInput
          label="Tags"
          description="Lower-case letters, digits and . _ : - ; rollouts pick gateways by tag"
          value={values.tags}
          onChange={(tags) => set('tags', tags)}
          error={errors.tags}
          placeholder="Add a tag and press Enter"
          clearable
        />
        <Switch
          label="Enabled (disabled gateways are still tracked but never receive deployments)"
          checked={values.enabled}
          onChange={(e) => set('enabled', e.currentTarget.checked)}
        />
        <Group>
          <Button type="submit" loading={update.isPending} disabled={!dirty}>
            Save changes
          </Button>
          <Button variant="default" disabled={!dirty || update.isPending} onClick={() => (setValues(toValues(gateway)), setErrors({}))}>
            Discard
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

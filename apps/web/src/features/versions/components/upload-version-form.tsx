import { Alert, Button, Group, Progress, Stack, Text, TextInput } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { ApiError } from '../../../lib/api-client';
import { formatBytes } from '../../../utils/format';
import { useUploadVersion } from '../api/upload-version';

const VERSION_PATTERN = /^\d+(\.\d+)*$/;

/** A suggestion for the next version: the latest with its last number raised (1.9 → 1.10). */
export function nextVersion(latest: string | null): string {
  if (!latest || !VERSION_PATTERN.test(latest)) return '1.0';
  const parts = latest.split('.');
  parts[parts.length - 1] = String(Number(parts[parts.length - 1]) + 1);
  return parts.join('.');
}

function uploadErrorMessage(error: Error): string {
  if (error instanceof DOMException && error.name === 'AbortError') return 'Upload cancelled. Nothing was stored.';
  if (error instanceof ApiError && error.status === 409) return `${error.message} Choose another version number.`;
  if (error instanceof ApiError && error.status === 413) return `${error.message} The file is larger than the server accepts (MAX_IMAGE_BYTES).`;
  return error.message;
}

export function UploadVersionForm({ latest }: { latest: string | null }) {
  const [version, setVersion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<{ version?: string; file?: string }>({});
  const upload = useUploadVersion();
  const suggestion = nextVersion(latest);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!VERSION_PATTERN.test(version.trim())) found.version = 'Version must be dotted numbers such as 1.0 or 2.10.1.';
    if (!file) found.file = 'Choose the image file to upload.';
    setErrors(found);
    if (found.version || found.file || !file) return;
    upload.mutate(
      { version: version.trim(), file },
      {
        onSuccess: (created) => {
          notifications.show({
            color: 'teal',
            title: 'Version uploaded',
            message: `Version ${created.version} (${formatBytes(created.size)}) is stored and announced to the gateways.`,
          });
          setVersion('');
          setFile(null);
        },
      },
    );
  };

  const percent = upload.progress && upload.progress.total > 0 ? Math.round((upload.progress.loaded / upload.progress.total) * 100) : 0;

  return (
    <form onSubmit={submit} noValidate aria-label="Upload a version">
      <Stack>
        <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
          <TextInput
            label="Version"
            description={`Dotted numbers; the latest is ${latest ?? 'none yet'}.`}
            placeholder={suggestion}
            value={version}
            onChange={(event) => setVersion(event.currentTarget.value)}
            error={errors.version}
            disabled={upload.isPending}
            maw={260}
          />
        </Group>
        <Dropzone
          onDrop={(files) => {
            setFile(files[0] ?? null);
            setErrors((current) => ({ ...current, file: undefined }));
          }}
          multiple={false}
          disabled={upload.isPending}
          aria-label="Image file"
        >
          <Stack gap={4} align="center" py="md" style={{ pointerEvents: 'none' }}>
            <Text fw={500}>{file ? file.name : 'Drop the image file here, or click to choose it'}</Text>
            <Text size="sm" c="dimmed">
              {file ? formatBytes(file.size) : 'Any binary; it is sent to gateways byte for byte.'}
            </Text>
          </Stack>
        </Dropzone>
        {errors.file && (
          <Text c="red" size="sm">
            {errors.file}
          </Text>
        )}
        {upload.progress && (upload.isPending || upload.isSuccess) && (
          <Stack gap={4} aria-live="polite">
            <Progress value={percent} size="lg" striped={upload.isPending} animated={upload.isPending} aria-label="Upload progress" />
            <Text size="sm" c="dimmed" data-testid="upload-progress">
              {upload.isPending && percent === 100
                ? `${formatBytes(upload.progress.total)} sent; the server is checking the image…`
                : `${formatBytes(upload.progress.loaded)} of ${formatBytes(upload.progress.total)} sent (${percent}%)`}
            </Text>
          </Stack>
        )}
        {upload.isError && (
          <Alert color="red" role="alert" title="Upload failed">
            {uploadErrorMessage(upload.error)}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={upload.isPending}>
            Upload
          </Button>
          {upload.isPending && (
            <Button variant="default" onClick={upload.cancel}>
              Cancel
            </Button>
          )}
        </Group>
      </Stack>
    </form>
  );
}

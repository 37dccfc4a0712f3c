import { useMutation, useQueryClient } from '@tanstack/react-query';
import { VERSION_UPLOAD_FIELDS, type VersionDto } from '@upgrade-manager/dto';
import { useRef, useState } from 'react';
import { type UploadProgress, uploadWithProgress } from '../../../lib/upload';
import { getVersionsQueryOptions } from './get-versions';

export interface UploadVersionInput {
  version: string;
  file: File;
}

export function uploadVersion({ version, file }: UploadVersionInput, onProgress?: (progress: UploadProgress) => void, signal?: AbortSignal) {
  const formData = new FormData();
  // The version goes first: the server checks it before it reads (and stores) any byte of the file.
  formData.append(VERSION_UPLOAD_FIELDS.version, version);
  formData.append(VERSION_UPLOAD_FIELDS.file, file, file.name);
  return uploadWithProgress<VersionDto>({ path: '/api/versions', formData, onProgress, signal });
}

/** Upload with bytes-sent progress and cancel. */
export function useUploadVersion() {
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const controller = useRef<AbortController | null>(null);
  const mutation = useMutation({
    mutationFn: (input: UploadVersionInput) => {
      controller.current = new AbortController();
      setProgress({ loaded: 0, total: input.file.size });
      return uploadVersion(input, setProgress, controller.current.signal);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: getVersionsQueryOptions().queryKey }),
    onSettled: () => {
      controller.current = null;
    },
  });
  return { ...mutation, progress, cancel: () => controller.current?.abort() };
}

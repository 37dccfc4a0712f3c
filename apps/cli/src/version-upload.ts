import { VERSION_UPLOAD_FIELDS, type VersionDto } from '@upgrade-manager/dto';
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, type ApiClient, errorMessage, parseJson } from './api-client';
import { CliError } from './exit-codes';

export interface VersionUpload {
  file: string;
  version: string;
  /** Extra form fields sent before the file (e.g. a detached signature and its key id). */
  fields?: Record<string, string>;
  /** Called as the image's bytes leave for the server. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

/**
 * `POST /api/versions` as a streamed multipart form: the version field first (so the API can check
 * it before the image arrives), then the file read from disk, counted for the progress bar. fetch()
 * cannot report upload progress, hence node:http.
 */
export async function uploadVersion(api: ApiClient, upload: VersionUpload): Promise<VersionDto> {
  let size: number;
  try {
    size = statSync(upload.file).size;
  } catch (error) {
    throw new CliError(`Cannot read ${upload.file}: ${(error as Error).message}`);
  }
  const boundary = `----upgrade-manager-${randomBytes(12).toString('hex')}`;
  const fields = { [VERSION_UPLOAD_FIELDS.version]: upload.version, ...upload.fields };
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${VERSION_UPLOAD_FIELDS.file}"; filename="${basename(upload.file).replace(/"/g, '')}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

  const url = api.url('/api/versions');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const request = send(url, {
    method: 'POST',
    headers: {
      ...api.authHeaders(),
      Accept: 'application/json',
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      'Content-Length': String(head.length + size + tail.length),
    },
  });
  const responded = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });

  let sent = 0;
  upload.onProgress?.(0, size);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      upload.onProgress?.(sent, size);
      done(null, chunk);
    },
  });
  request.write(head);
  // The API may answer (and close) before the whole file is sent, e.g. when the version exists.
  const body = pipeline(
    createReadStream(upload.file),
    counter,
    async function* (source) {
      for await (const chunk of source) yield chunk;
      yield tail;
    },
    request,
  ).catch(() => undefined);

  let response: IncomingMessage;
  try {
    response = await responded;
  } catch (error) {
    throw new CliError(`Cannot reach the API at ${api.baseUrl}: ${(error as Error).message}`);
  }
  const text = await readText(response);
  await body;
  const status = response.statusCode ?? 0;
  const parsed = parseJson(text);
  if (status !== 201) throw new ApiError(status, errorMessage(parsed, response.statusMessage ?? 'upload failed'));
  return parsed as VersionDto;
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

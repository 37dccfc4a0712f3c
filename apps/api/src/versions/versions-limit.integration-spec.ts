import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { gridFsCounts, postVersionForm } from '../../test/version-upload';
import { VersionsService } from './versions.service';

const MAX_IMAGE_BYTES = 256 * 1024;

describe('POST /api/versions over MAX_IMAGE_BYTES (real database)', () => {
  let api: TestApi;
  const major = `${randomInt(100_000, 999_999)}`;
  const previousMax = process.env['MAX_IMAGE_BYTES'];

  const upload = (fields: Array<[string, string | Buffer]>) => postVersionForm(api.baseUrl, fields);

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES) });
  });

  afterAll(async () => {
    await api?.close();
    if (previousMax === undefined) delete process.env['MAX_IMAGE_BYTES'];
    else process.env['MAX_IMAGE_BYTES'] = previousMax;
  });

  it('answers 413 for a file one byte over the limit, whichever part comes first, and leaves nothing in GridFS', async () => {
    for (const fields of [
      [
        ['version', `${major}.1`],
        ['file', randomBytes(MAX_IMAGE_BYTES + 1)],
      ],
      [
        ['file', randomBytes(MAX_IMAGE_BYTES + 1)],
        ['version', `${major}.1`],
      ],
    ] as Array<Array<[string, string | Buffer]>>) {
      const response = await upload(fields);
      expect(response.status).toBe(413);
      expect(((await response.json()) as { message: string }).message).toContain(`MAX_IMAGE_BYTES (${MAX_IMAGE_BYTES} bytes)`);
    }
    expect(await gridFsCounts(api.app)).toEqual({ files: 0, chunks: 0 });
    expect(await api.app.get(VersionsService).exists(`${major}.1`)).toBe(false);
  });

  it('answers 413 at once for a body whose declared length is far over the limit', async () => {
    const body = randomBytes(4 * MAX_IMAGE_BYTES);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${api.baseUrl}/api/versions`,
        { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': body.length } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      // The server may answer and drop the rest before all of it is sent.
      request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      request.end(body);
    });
    expect(status).toBe(413);
    expect(await gridFsCounts(api.app)).toEqual({ files: 0, chunks: 0 });
  });

  it('removes what was stored when the client disconnects in the middle of the file', async () => {
    const boundary = 'um-test-boundary';
    const head = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="version"\r\n\r\n${major}.3\r\n` +
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="image.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
    );
    // More than one 255 KiB GridFS chunk, so that a chunk is written before the connection drops.
    const partial = Buffer.concat([head, randomBytes(MAX_IMAGE_BYTES - 100)]);
    const request = httpRequest(`${api.baseUrl}/api/versions`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': partial.length + 1000 },
    });
    request.on('error', () => undefined);
    await new Promise<void>((resolve) => request.write(partial, () => resolve()));
    await eventually(async () => expect((await gridFsCounts(api.app)).chunks).toBeGreaterThan(0));
    request.destroy();
    await eventually(async () => expect(await gridFsCounts(api.app)).toEqual({ files: 0, chunks: 0 }));
    expect(await api.app.get(VersionsService).exists(`${major}.3`)).toBe(false);
  });

  it('accepts a file of exactly MAX_IMAGE_BYTES', async () => {
    const response = await upload([
      ['version', `${major}.2`],
      ['file', randomBytes(MAX_IMAGE_BYTES)],
    ]);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ version: `${major}.2`, size: MAX_IMAGE_BYTES });
    expect(await gridFsCounts(api.app)).toEqual({ files: 1, chunks: 2 });
  });
});

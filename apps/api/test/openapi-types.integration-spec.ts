import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from './subprocess';
import { startTestApi, type TestApi } from './test-api';

const ROOT = join(__dirname, '../../..');

// The web app and the CLI are typed by libs/api-client/src/lib/openapi.ts: it must be what the API documents today.
describe('the typed API client', () => {
  let testApi: TestApi;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await testApi?.close();
  });

  it('matches the OpenAPI document of the API', async () => {
    const response = await fetch(`${testApi.baseUrl}/api/docs-json`);
    expect(response.status).toBe(200);
    const documentDir = mkdtempSync(join(tmpdir(), 'um-openapi-'));
    const document = join(documentDir, 'openapi.json');
    writeFileSync(document, await response.text());
    const check = await runNode(['tools/scripts/api-types.mjs', '--from', document, '--check'], { cwd: ROOT });
    if (check.code !== 0) throw new Error(`${check.stderr}Or from this test's copy of the document: node tools/scripts/api-types.mjs --from ${document}`);
    expect(check.stdout + check.stderr).toBe('');
    // Kept when the check fails: the error names it as the source to regenerate from.
    rmSync(documentDir, { recursive: true, force: true });
  });

  // The OpenAPI specification wants the success response of an operation documented; a client generator types its answer from it.
  it('documents a successful answer for every operation', async () => {
    const document = (await (await fetch(`${testApi.baseUrl}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const undocumented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => !Object.keys(operation.responses ?? {}).some((status) => status.startsWith('2')))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undocumented).toEqual([]);
  });
});

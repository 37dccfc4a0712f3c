import type { DeploymentCreatedDto, DeploymentDetailDto } from '@upgrade-manager/dto';
import { generateSigningKey, parseTrustedKeys, trustedKeyLine } from '@upgrade-manager/protocol-v2';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildApi } from './child-api';
import { api, metricValue, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually } from './test-api';
import { startV2Gateway, type V2Gateway } from './v2-gateway';

const GATEWAYS = 8;
const CHUNK_BYTES = 64 * 1024;
const IMAGE_BYTES = 8 * 1024 * 1024;

/**
 * Two API processes (the built API, separate OS processes) on one database and one broker: the
 * shared chunk stream runs in the process that published the deployment and paces itself by
 * progress reports that reach either process (the shared subscription), read back from the
 * database; chunk requests are answered by either. The fleet still gets the image from the stream.
 */
describe('protocol v2 with two API processes', () => {
  const first = new ChildApi();
  const second = new ChildApi(first);
  const dir = mkdtempSync(join(tmpdir(), 'um-v2-scale-'));
  const signingKey = generateSigningKey();
  const keyFile = join(dir, 'server.pem');
  const trusted = parseTrustedKeys(trustedKeyLine(signingKey));
  const gateways: V2Gateway[] = [];

  beforeAll(async () => {
    writeFileSync(keyFile, signingKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await first.build();
    await second.build();
    const env = { SIGNING_KEY_FILE: keyFile, CHUNK_SIZE_BYTES: String(CHUNK_BYTES), CHUNK_STREAM_BYTES_PER_S: String(16 * 1024 * 1024) };
    await Promise.all([first.start(env), second.start(env)]);
  }, 300_000);

  afterAll(async () => {
    for (const { agent, client } of gateways) {
      await agent.stop();
      await client.close();
    }
    await second.dispose();
    await first.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers an image to v2 gateways mostly by the stream of one process, with reports and requests handled by both', async () => {
    const companyId = uniqueId('co-v2-scale');
    const version = `${uniqueMajor()}.1`;
    const image = randomBytes(IMAGE_BYTES);
    const prefix = uniqueId('gw-v2-scale');
    for (let i = 1; i <= GATEWAYS; i++) {
      const gatewayId = `${prefix}-${i}`;
      // One gateway loses a share of what it receives: its requests go to either process.
      const gateway = await startV2Gateway({ gatewayId, companyId, dir, trustedKeys: trusted, agent: { dropRate: i === 1 ? 0.2 : 0 } });
      gateways.push(gateway);
    }
    await Promise.all(gateways.map(({ client }) => client.sendStatus({ version: '0.5', timestamp: Date.now(), protocol: 2 })));
    await eventually(
      async () => {
        for (const { client } of gateways) expect((await api(first.baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200);
      },
      { timeoutMs: 30_000 },
    );
    await uploadVersion(second.baseUrl, version, image);
    const created = await api<DeploymentCreatedDto>(second.baseUrl, '/api/deployments', {
      method: 'POST',
      body: { version, gatewayIds: gateways.map(({ client }) => client.gatewayId) },
    });
    expect(created.status).toBe(201);

    const detail = await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(first.baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets.filter((target) => target.status !== 'confirmed')).toEqual([]);
        return body;
      },
      { timeoutMs: 300_000, intervalMs: 1_000 },
    );
    expect(detail.targets).toHaveLength(GATEWAYS);
    const digest = createHash('sha256').update(image).digest('hex');
    for (const { installed } of gateways) expect(createHash('sha256').update(readFileSync(installed)).digest('hex')).toBe(digest);

    // The stream ran once, in the process that published the deployment.
    const chunkCount = IMAGE_BYTES / CHUNK_BYTES;
    const shared = await Promise.all([first, second].map((child) => metricValue(child.baseUrl, 'um_v2_chunks_sent_total', { topic: 'shared' })));
    expect(shared).toEqual([0, chunkCount]);
    // The progress reports that paced it reached both processes.
    const reports = await Promise.all([first, second].map((child) => metricValue(child.baseUrl, 'um_v2_progress_total', { state: 'downloading' })));
    expect(reports.every((count) => count > 0)).toBe(true);
    // The gateways that lost nothing asked for a small fraction of the image themselves.
    const lossless = gateways.slice(1).map(({ received }) => received);
    const requested = lossless.reduce((sum, received) => sum + received.requested, 0);
    expect(requested).toBeLessThan(0.05 * lossless.length * chunkCount);
    expect(lossless.reduce((sum, received) => sum + received.shared, 0)).toBeGreaterThan(0.95 * lossless.length * chunkCount);
    expect(gateways[0]?.agent.stats.requests).toBeGreaterThan(0);
  }, 420_000);
});

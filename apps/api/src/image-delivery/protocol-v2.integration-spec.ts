import type { DeploymentCreatedDto, DeploymentDetailDto, EventListDto, GatewayDto } from '@upgrade-manager/dto';
import { decodeFrame, encodeFrame } from '@upgrade-manager/frame-codec';
import type { GatewayClient, UpgradeAgentOptions } from '@upgrade-manager/gateway-client';
import {
  decodeChunk,
  encodeChunk,
  encodeChunkRequest,
  generateSigningKey,
  keyIdOf,
  parseTrustedKeys,
  publicKeyFromRaw,
  rawPublicKey,
  toCloudV2Topic,
  trustedKeyLine,
  type TrustedKeys,
} from '@upgrade-manager/protocol-v2';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, connectGateway, metricValue, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { startV2Gateway, type V2Gateway } from '../../test/v2-gateway';
import { readSigningKeyFile } from '../image-signing/signing-key-file';
import { IMAGE_LAYOUTS } from '../versions/image-storage.service';
import { VersionsService } from '../versions/versions.service';
import { GridChunkReader } from './grid-chunk-reader';

const MiB = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('protocol v2 delivery (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  let dir: string;
  let trusted: TrustedKeys;
  const gateways: V2Gateway[] = [];
  const v1Clients: GatewayClient[] = [];
  const major = uniqueMajor();
  const companyId = uniqueId('co-v2');

  async function startV2(gatewayId: string, agent: Partial<UpgradeAgentOptions> = {}, tamper?: (topic: string, bytes: Buffer) => Buffer): Promise<V2Gateway> {
    const gateway = await startV2Gateway({ gatewayId, companyId, dir, trustedKeys: trusted, agent, tamper });
    gateways.push(gateway);
    return gateway;
  }

  async function register(clients: GatewayClient[], protocol?: number): Promise<void> {
    await Promise.all(clients.map((client) => client.sendStatus({ version: '0.5', timestamp: Date.now(), protocol })));
    await eventually(
      async () => {
        for (const client of clients) expect((await api(baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200);
      },
      { timeoutMs: 20_000 },
    );
  }

  async function deploy(version: string, gatewayIds: string[]): Promise<string> {
    const created = await api<DeploymentCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds } });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function settled(deploymentId: string, timeoutMs: number): Promise<DeploymentDetailDto> {
    return eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(baseUrl, `/api/deployments/${deploymentId}`);
        expect(body.targets.filter((target) => target.status === 'pending')).toEqual([]);
        return body;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'um-v2-'));
    testApi = await startTestApi({
      AUTH_MODE: 'none',
      HOST: '127.0.0.1',
      SIGNING_KEY_FILE: join(dir, 'server.pem'),
      CHUNK_STREAM_BYTES_PER_S: String(16 * MiB),
      CHUNK_SIZE_BYTES: String(CHUNK_BYTES),
    });
    baseUrl = testApi.baseUrl;
    trusted = parseTrustedKeys(trustedKeyLine(readSigningKeyFile(join(dir, 'server.pem'))));
  });

  afterAll(async () => {
    await Promise.all(
      gateways.map(async ({ agent, client }) => {
        await agent.stop();
        await client.close();
      }),
    );
    await Promise.all(v1Clients.map((client) => client.close()));
    await testApi?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 64 MiB to 20 gateways, mostly by the shared stream: one resumes after a restart, one re-requests dropped chunks, one with a wrong key rejects', async () => {
    const image = randomBytes(64 * MiB);
    const version = `${major}.64`;
    const prefix = uniqueId('gw-v2');
    const ids = Array.from({ length: 20 }, (_, i) => `${prefix}-${i + 1}`);
    const [resumeId, dropId, wrongKeyId] = ids as [string, string, string];
    const other = generateSigningKey();
    let stopped!: () => void;
    const stoppedAt30 = new Promise<void>((resolve) => (stopped = resolve));

    for (const gatewayId of ids) {
      if (gatewayId === resumeId) await startV2(gatewayId, { exitAfterBytes: Math.round(0.3 * image.length), onExitAfterBytes: () => stopped() });
      else if (gatewayId === dropId) await startV2(gatewayId, { dropRate: 0.2 });
      else if (gatewayId === wrongKeyId) await startV2(gatewayId, { trustedKeys: new Map([[keyIdOf(other), publicKeyFromRaw(rawPublicKey(other))]]) });
      else await startV2(gatewayId);
    }
    await register(
      gateways.map((gateway) => gateway.client),
      2,
    );
    await uploadVersion(baseUrl, version, image);
    const deploymentId = await deploy(version, ids);

    // The restarted gateway: a new connection and agent on the same state folder, as after a power cut.
    await stoppedAt30;
    const first = gateways.find((gateway) => gateway.client.gatewayId === resumeId) as V2Gateway;
    const receivedBefore = first.agent.stats.receivedBytes;
    await first.client.close();
    const resumed = await startV2(resumeId);

    const detail = await settled(deploymentId, 420_000);
    const byId = new Map(detail.targets.map((target) => [target.gatewayId, target]));
    expect(byId.get(wrongKeyId)).toMatchObject({ status: 'failed', reason: 'rejected', delivery: { state: 'rejected' } });
    for (const gatewayId of ids.filter((id) => id !== wrongKeyId)) {
      expect(byId.get(gatewayId)).toMatchObject({ status: 'confirmed', delivery: { protocol: 2, state: 'succeeded', size: image.length } });
    }
    const digest = sha256(image);
    for (const gateway of gateways.filter((g) => g.client.gatewayId !== wrongKeyId && g !== first)) {
      expect(sha256(readFileSync(gateway.installed))).toBe(digest);
    }
    expect(existsSync(join(dir, wrongKeyId, 'installed.bin'))).toBe(false);

    expect(receivedBefore).toBeGreaterThan(0.25 * image.length);
    expect(receivedBefore + resumed.agent.stats.receivedBytes).toBeLessThan(1.2 * image.length);
    const dropper = gateways.find((gateway) => gateway.client.gatewayId === dropId) as V2Gateway;
    expect(dropper.agent.stats.droppedChunks).toBeGreaterThan(0);
    expect(dropper.agent.stats.requests).toBeGreaterThan(0);

    // The 17 others got the image from the shared stream (paced over several windows, through the
    // restart and the dropped chunks): what they asked for themselves is a small fraction of it.
    const chunkCount = image.length / CHUNK_BYTES;
    const ordinary = ids
      .filter((id) => id !== resumeId && id !== dropId && id !== wrongKeyId)
      .map((id) => (gateways.find((gateway) => gateway.client.gatewayId === id) as V2Gateway).received);
    const requested = ordinary.reduce((sum, counts) => sum + counts.requested, 0);
    const shared = ordinary.reduce((sum, counts) => sum + counts.shared, 0);
    expect(requested).toBeLessThan(0.05 * ordinary.length * chunkCount);
    expect(shared).toBeGreaterThan(0.95 * ordinary.length * chunkCount);

    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${wrongKeyId}`);
    const failure = events.body.items.find((event) => event.type === 'upgrade.failed');
    expect(failure?.details).toMatchObject({ reason: 'rejected', detail: `signing key ${trusted.keys().next().value} is not trusted` });

    // The rejected gateway's offer is closed: its requests for the image get nothing now.
    const before = await metricValue(baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' });
    const wrong = gateways.find((gateway) => gateway.client.gatewayId === wrongKeyId) as V2Gateway;
    await wrong.client.publishRaw(
      toCloudV2Topic('REQUEST_CHUNKS', wrongKeyId),
      encodeFrame(encodeChunkRequest({ sha256: digest, ranges: [{ first: 0, count: 4 }] })),
    );
    await eventually(async () => expect(await metricValue(baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' })).toBe(before + 1));
  }, 480_000);

  it('confirms v1 and v2 gateways of one mixed deployment', async () => {
    const version = `${major}.7`;
    const image = randomBytes(300 * 1024);
    await uploadVersion(baseUrl, version, image);
    const v2 = await startV2(uniqueId('gw-mix2'));
    const v1 = await connectGateway(uniqueId('gw-mix1'), companyId);
    v1Clients.push(v1);
    let v1Received: Buffer | null = null;
    v1.onUpgrade((content) => {
      v1Received = Buffer.from(content);
      void v1.sendStatus({ version, timestamp: Date.now() });
    });
    await register([v2.client], 2);
    await register([v1]);
    expect((await api<GatewayDto>(baseUrl, `/api/gateways/${v2.client.gatewayId}`)).body.protocol).toBe(2);
    expect((await api<GatewayDto>(baseUrl, `/api/gateways/${v1.gatewayId}`)).body).not.toHaveProperty('protocol');
    const deploymentId = await deploy(version, [v1.gatewayId, v2.client.gatewayId]);
    const detail = await settled(deploymentId, 60_000);
    expect(detail.targets.map((target) => target.status)).toEqual(['confirmed', 'confirmed']);
    const v1Target = detail.targets.find((target) => target.gatewayId === v1.gatewayId);
    expect(v1Target?.delivery).toBeUndefined();
    expect(v1Received && sha256(v1Received)).toBe(sha256(image));
    expect(sha256(readFileSync(v2.installed))).toBe(sha256(image));
  });

  it('detects a chunk changed in flight and reports rejected', async () => {
    const version = `${major}.8`;
    const image = randomBytes(500 * 1024);
    await uploadVersion(baseUrl, version, image);
    // Between the broker and the agent: chunk 2's data altered, the frame's CRC made right again.
    const tamper = (topic: string, bytes: Buffer): Buffer => {
      if (!topic.startsWith('TOGATEWAY/UPGRADE_CHUNK')) return bytes;
      const chunk = decodeChunk(decodeFrame(bytes).payload);
      if (chunk.index !== 2) return bytes;
      const data = Buffer.from(chunk.data);
      data[100] = (data[100] ?? 0) ^ 0x55;
      return encodeFrame(encodeChunk({ ...chunk, data }));
    };
    const gateway = await startV2(uniqueId('gw-tamper'), {}, tamper);
    await register([gateway.client], 2);
    const deploymentId = await deploy(version, [gateway.client.gatewayId]);
    const [target] = (await settled(deploymentId, 60_000)).targets;
    expect(target).toMatchObject({ status: 'failed', reason: 'rejected', delivery: { state: 'rejected' } });
    expect(target?.delivery?.reason).toMatch(/^sha256 of the downloaded image is/);
    expect(existsSync(gateway.installed)).toBe(false);
  });

  it('sends nothing to a gateway asking for chunks of an image it was not offered', async () => {
    const version = `${major}.9`;
    const image = randomBytes(200 * 1024);
    await uploadVersion(baseUrl, version, image);
    const client = await connectGateway(uniqueId('gw-nosy'), companyId);
    v1Clients.push(client);
    const received: string[] = [];
    client.on('otherMessage', (topic) => received.push(topic));
    await client.subscribeTopics([`TOGATEWAY/UPGRADE_CHUNK/${client.gatewayId}`]);
    const before = await metricValue(baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' });
    await client.publishRaw(
      toCloudV2Topic('REQUEST_CHUNKS', client.gatewayId),
      encodeFrame(encodeChunkRequest({ sha256: sha256(image), ranges: [{ first: 0, count: 4 }] })),
    );
    await eventually(async () => expect(await metricValue(baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' })).toBe(before + 1));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual([]);
  });

  it("keeps an image's list of GridFS chunks in the database, where another process reads it by _id", async () => {
    const version = `${major}.10`;
    const image = randomBytes(600 * 1024);
    await uploadVersion(baseUrl, version, image);
    const { fileId } = await testApi.app.get(VersionsService).signedImage(version);
    const connection = testApi.app.get<Connection>(getConnectionToken());
    const db = () => connection.db as NonNullable<Connection['db']>;
    expect((await new GridChunkReader(db, MiB).read(fileId, 1000, 300_000)).equals(image.subarray(1000, 300_000))).toBe(true);
    const layouts = db().collection(IMAGE_LAYOUTS);
    const stored = await layouts.findOne({ _id: fileId });
    expect(stored).toMatchObject({ length: image.length });
    // Another reader (process) goes by the stored list: a length changed there is what it sees.
    await layouts.updateOne({ _id: fileId }, { $set: { length: 1000 } });
    await expect(new GridChunkReader(db, MiB).read(fileId, 0, 2000)).rejects.toThrow('outside the 1000-byte image');
  });

  it('refuses a v1 deployment of an image larger than one MQTT message, naming v2', async () => {
    const service = testApi.app.get((await import('./image-delivery.service')).ImageDeliveryService);
    expect(() => service.assertFitsV1('9.9', 300 * MiB, ['gw-old'])).toThrow(/more than one MQTT message can carry .* Deploy it to protocol-v2 gateways only/);
    expect(() => service.assertFitsV1('9.9', 300 * MiB, [])).not.toThrow();
  });
});

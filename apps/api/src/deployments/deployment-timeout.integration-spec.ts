import type { DeploymentCreatedDto, DeploymentDetailDto, EventListDto, GatewayDto } from '@upgrade-manager/dto';
import { decodeFrame, encodeFrame } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { decodeOffer, encodeChunkRequest, toCloudV2Topic, toGatewayV2Topic, type Offer } from '@upgrade-manager/protocol-v2';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { api, connectGateway, metricValue, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { Gateway } from '../gateways/gateway.schema';
import { Deployment } from './deployment.schema';

// A deployment time-out of one second, so that a target nobody confirms fails quickly.
describe('deployment time-out (real broker and database)', () => {
  let testApi: TestApi;
  let client: GatewayClient;
  const clients: GatewayClient[] = [];
  const major = uniqueMajor();
  const version = `${major}.1`;
  const keyDir = mkdtempSync(join(tmpdir(), 'um-timeout-'));

  beforeAll(async () => {
    // 3 s, not less: a case writes the gateways' version after its POST and before the deadline, even on a loaded machine.
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', DEPLOYMENT_TIMEOUT_S: '3', SIGNING_KEY_FILE: join(keyDir, 'server.pem') });
    await uploadVersion(testApi.baseUrl, version, version);
    client = await connectGateway(uniqueId('gw-timeout'), uniqueId('co'));
    clients.push(client);
  });

  afterAll(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await testApi?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('fails a pending target when no Status confirms it by its deadline', async () => {
    await client.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(testApi.baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200));
    // The gateway never reports back.
    const created = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [client.gatewayId] } });
    expect(created.status).toBe(201);

    const target = await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets[0].status).toBe('failed');
        return body.targets[0];
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(target).toMatchObject({ gatewayId: client.gatewayId, reason: 'timeout' });
    const gateway = await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${client.gatewayId}`);
    expect(gateway.body.upgrade).toEqual({ version, status: 'failed', deploymentId: created.body.id });
    const events = await api<EventListDto>(testApi.baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=upgrade.failed`);
    expect(events.body.items[0].details).toMatchObject({ reason: 'timeout', deploymentId: created.body.id });

    // A late Status no longer changes a failed target.
    await client.sendStatus({ version });
    await eventually(async () => expect((await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${client.gatewayId}`)).body.version).toBe(version));
    expect((await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`)).body.targets[0].status).toBe('failed');

    // Every target decided and past its deadline: the sweep marks the deployment settled, so the tracker no longer loads it at start.
    const deployments = testApi.app.get<Model<Deployment>>(getModelToken(Deployment.name));
    await eventually(async () => expect((await deployments.findById(created.body.id).lean())?.settled).toBe(true), { timeoutMs: 20_000, intervalMs: 250 });
  });

  it('confirms at the deadline the targets whose gateway’s stored Status shows the version, and fails the others', async () => {
    const sweepVersion = `${major}.3`;
    await uploadVersion(testApi.baseUrl, sweepVersion, sweepVersion);
    const silent = await Promise.all([0, 1, 2].map(() => connectGateway(uniqueId('gw-sweep'), uniqueId('co'))));
    clients.push(...silent);
    await Promise.all(silent.map((gateway) => gateway.sendStatus({ version: '0.5' })));
    for (const gateway of silent) {
      await eventually(async () => expect((await api(testApi.baseUrl, `/api/gateways/${gateway.gatewayId}`)).status).toBe(200));
    }
    const gatewayIds = silent.map((gateway) => gateway.gatewayId);
    const created = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', { method: 'POST', body: { version: sweepVersion, gatewayIds } });
    expect(created.status).toBe(201);
    // As a Status another API process handled without knowing the target would have left it: the version stored, nothing decided.
    const gateways = testApi.app.get<Model<Gateway>>(getModelToken(Gateway.name));
    await gateways.updateMany({ _id: { $in: gatewayIds.slice(0, 2) } }, { $set: { version: sweepVersion, lastSeenAt: new Date() } });

    const targets = await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets.every((target) => target.status !== 'pending')).toBe(true);
        return body.targets;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const byGateway = new Map(targets.map((target) => [target.gatewayId, target]));
    expect(byGateway.get(gatewayIds[0])).toMatchObject({ status: 'confirmed', reportedVersion: sweepVersion });
    expect(byGateway.get(gatewayIds[1])).toMatchObject({ status: 'confirmed', reportedVersion: sweepVersion });
    expect(byGateway.get(gatewayIds[2])).toMatchObject({ status: 'failed', reason: 'timeout' });
  });

  it('ends the open offer of a protocol-v2 target that timed out: its chunk requests get nothing', async () => {
    const v2Version = `${major}.2`;
    await uploadVersion(testApi.baseUrl, v2Version, randomBytes(100 * 1024));
    const gateway = await connectGateway(uniqueId('gw-timeout-v2'), uniqueId('co'));
    clients.push(gateway);
    const chunks: string[] = [];
    let offer: Offer | null = null;
    gateway.on('otherMessage', (topic, bytes) => {
      if (topic === toGatewayV2Topic('UPGRADE_OFFER', gateway.gatewayId)) offer = decodeOffer(decodeFrame(bytes).payload);
      else chunks.push(topic);
    });
    await gateway.subscribeTopics([toGatewayV2Topic('UPGRADE_OFFER', gateway.gatewayId), toGatewayV2Topic('UPGRADE_CHUNK', gateway.gatewayId)]);
    await gateway.sendStatus({ version: '0.5', protocol: 2 });
    await eventually(async () => expect((await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${gateway.gatewayId}`)).body.protocol).toBe(2));
    // Offered, then silent: no progress, no Status.
    const created = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', {
      method: 'POST',
      body: { version: v2Version, gatewayIds: [gateway.gatewayId] },
    });
    expect(created.status).toBe(201);
    const offered = await eventually(async () => {
      expect(offer).not.toBeNull();
      return offer as Offer;
    });
    await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets[0]).toMatchObject({ status: 'failed', reason: 'timeout' });
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );

    const before = await metricValue(testApi.baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' });
    await gateway.publishRaw(
      toCloudV2Topic('REQUEST_CHUNKS', gateway.gatewayId),
      encodeFrame(encodeChunkRequest({ sha256: offered.sha256, ranges: [{ first: 0, count: 2 }] })),
    );
    await eventually(async () => expect(await metricValue(testApi.baseUrl, 'um_v2_chunk_requests_refused_total', { reason: 'not-offered' })).toBe(before + 1));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(chunks).toEqual([]);
  });
});

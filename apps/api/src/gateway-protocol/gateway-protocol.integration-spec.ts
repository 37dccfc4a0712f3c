import { getConnectionToken } from '@nestjs/mongoose';
import type { CompanyDto, GatewayDto } from '@upgrade-manager/dto';
import { encodeFrame, statusPayload, toCloudTopic, ToCloudMessageType, ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import type { Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { api, connectGateway, metricValue, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { GatewayActivityService } from './gateway-activity.service';

describe('gateway protocol (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];
  const major = uniqueMajor();
  const v = (minor: string) => `${major}.${minor}`;
  const image = randomBytes(3 * 1024 * 1024);

  async function gateway(companyId = uniqueId('co')): Promise<GatewayClient> {
    const client = await connectGateway(uniqueId('gw-proto'), companyId);
    clients.push(client);
    return client;
  }

  async function getGateway(gatewayId: string) {
    return api<GatewayDto>(baseUrl, `/api/gateways/${gatewayId}`);
  }

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    baseUrl = testApi.baseUrl;
    await uploadVersion(baseUrl, v('1'), image);
    await uploadVersion(baseUrl, v('10'), `${v('10')}`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('registers an unknown gateway and its company on the first Status, then keeps it up to date', async () => {
    const companyId = uniqueId('co');
    const client = await gateway(companyId);
    const lastUpgrade = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await client.sendStatus({ version: '0.5', timestamp: lastUpgrade });

    const registered = await eventually(async () => {
      const response = await getGateway(client.gatewayId);
      expect(response.status).toBe(200);
      return response.body;
    });
    expect(registered).toMatchObject({
      gatewayId: client.gatewayId,
      companyId,
      name: null,
      version: '0.5',
      lastUpgradeAt: new Date(lastUpgrade).toISOString(),
      online: true,
      upgrade: null,
      enabled: true,
    });
    expect(registered.lastSeenAt).not.toBeNull();
    const company = await api<CompanyDto>(baseUrl, `/api/companies/${companyId}`);
    expect(company.status).toBe(200);
    expect(company.body.companyId).toBe(companyId);

    // A number as version (`1.0` as written) and a later Status update the same gateway.
    await client.publishRaw(
      toCloudTopic(ToCloudMessageType.Status, client.gatewayId),
      encodeFrame(`{"companyId": "${companyId}", "version": 1.0, "timestamp": ${lastUpgrade + 1000}}`),
    );
    await eventually(async () => {
      const { body } = await getGateway(client.gatewayId);
      expect(body.version).toBe('1.0');
      expect(body.lastUpgradeAt).toBe(new Date(lastUpgrade + 1000).toISOString());
    });
  });

  it('answers Request Latest Version and Request Available Versions to that gateway, with " " or an empty payload', async () => {
    const client = await gateway();
    const latest = client.waitFor(ToGatewayMessageType.LatestVersion, (message) => !message.broadcast && message.version === v('10'));
    const available = client.waitFor(ToGatewayMessageType.AvailableVersions, (message) => !message.broadcast && message.versions.includes(v('1')));
    await client.requestLatestVersion();
    await client.publishRaw(toCloudTopic(ToCloudMessageType.RequestAvailableVersions, client.gatewayId), encodeFrame(''));
    expect((await latest).topic).toBe(`TOGATEWAY/LATEST_VERSION/${client.gatewayId}`);
    const versions = (await available).versions;
    // Oldest first, in dotted-number order: x.10 after x.1.
    expect(versions.filter((version) => version.startsWith(`${major}.`))).toEqual([v('1'), v('10')]);
  });

  it('answers requests of a gateway it has never had a Status from, without registering it', async () => {
    const client = await gateway();
    const latest = client.waitFor(ToGatewayMessageType.LatestVersion, (message) => message.version === v('10'));
    await client.requestLatestVersion();
    await latest;
    await testApi.app.get(GatewayActivityService).flush();
    expect((await getGateway(client.gatewayId)).status).toBe(404);
  });

  it('answers Request Upgrade with Download Upgrade carrying the 3 MiB image byte for byte', async () => {
    const client = await gateway();
    const download = client.waitFor(ToGatewayMessageType.DownloadUpgrade, (message) => !message.broadcast, 30_000);
    await client.requestUpgrade(v('1'));
    const { content, topic } = await download;
    expect(topic).toBe(`TOGATEWAY/DOWNLOAD_UPGRADE/${client.gatewayId}`);
    expect(content.byteLength).toBe(image.byteLength);
    expect(content.equals(image)).toBe(true);
  });

  it('sends nothing for a Request Upgrade of an unknown version and counts it', async () => {
    const client = await gateway();
    const before = await metricValue(baseUrl, 'um_upgrade_requests_unknown_version_total');
    const received: string[] = [];
    client.onDownloadUpgrade((_content, message) => received.push(message.topic));
    await client.requestUpgrade(v('999'));
    await eventually(async () => expect(await metricValue(baseUrl, 'um_upgrade_requests_unknown_version_total')).toBe(before + 1));
    // The known version afterwards is the first and only download this gateway gets.
    const download = client.waitFor(ToGatewayMessageType.DownloadUpgrade, (message) => !message.broadcast, 30_000);
    await client.requestUpgrade(v('10'));
    expect((await download).content.toString()).toBe(v('10'));
    expect(received).toHaveLength(1);
  });

  it('rejects a frame with a bad CRC or a bad length: counted, nothing stored, the service keeps going', async () => {
    const client = await gateway();
    const topic = toCloudTopic(ToCloudMessageType.Status, client.gatewayId);
    const crcBefore = await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'CRC_MISMATCH' });
    const lengthBefore = await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'LENGTH_MISMATCH' });
    const payloadBefore = await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'MISSING_FIELD' });

    const badCrc = encodeFrame(statusPayload({ companyId: '2', version: '0.5', timestamp: 1 }));
    badCrc.writeInt32BE(badCrc.readInt32BE(8) ^ 1, 8);
    await client.publishRaw(topic, badCrc);
    const truncated = encodeFrame(statusPayload({ companyId: '2', version: '0.5' })).subarray(0, 20);
    await client.publishRaw(topic, truncated);
    await client.publishRaw(topic, encodeFrame('{"version":"0.5"}'));

    await eventually(async () => {
      expect(await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'CRC_MISMATCH' })).toBe(crcBefore + 1);
      expect(await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'LENGTH_MISMATCH' })).toBe(lengthBefore + 1);
      expect(await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'MISSING_FIELD' })).toBe(payloadBefore + 1);
    });
    await testApi.app.get(GatewayActivityService).flush();
    expect((await getGateway(client.gatewayId)).status).toBe(404);

    // Still serving: a good Status registers the same gateway.
    await client.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await getGateway(client.gatewayId)).status).toBe(200));
  });

  it('keeps liveness from requests: lastSeenAt moves forward without a Status', async () => {
    const client = await gateway();
    await client.sendStatus({ version: '0.5' });
    const first = await eventually(async () => {
      const { status, body } = await getGateway(client.gatewayId);
      expect(status).toBe(200);
      return body.lastSeenAt as string;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.requestAvailableVersions();
    await eventually(async () => {
      const { body } = await getGateway(client.gatewayId);
      expect(new Date(body.lastSeenAt as string).getTime()).toBeGreaterThan(new Date(first).getTime());
      expect(body.version).toBe('0.5');
    });
  });

  it('drops the update of a document the database refuses, without holding up other gateways', async () => {
    const [legacy, normal] = [await gateway(), await gateway()];
    // Written by hand with its own _id: the Status upsert by _id then collides on the unique gatewayId.
    await testApi.app.get<Connection>(getConnectionToken()).collection('gateways').insertOne({ gatewayId: legacy.gatewayId, companyId: 'x' });
    const before = await metricValue(baseUrl, 'um_gateway_activity_rejected_total');
    await Promise.all([legacy.sendStatus({ version: '0.5' }), normal.sendStatus({ version: '0.5' })]);
    await eventually(async () => expect((await getGateway(normal.gatewayId)).status).toBe(200));
    await eventually(async () => expect(await metricValue(baseUrl, 'um_gateway_activity_rejected_total')).toBe(before + 1));
  });
});

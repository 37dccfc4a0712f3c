import type { EventListDto, GatewayCredentialStatusDto, GatewayCredentialsDto, GatewayDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType, encodeFrame, statusPayload } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import type { MqttClient } from 'mqtt';
import { brokerCa, connectCloudAccount, connectTlsGateway, tlsUrl, tryConnect, type ConnectOutcome } from '../../test/broker-tls';
import { api, connectGateway, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { GatewayBrokerAccounts } from './gateway-broker-accounts';

interface Account {
  username: string;
  password: string;
}

/** Resolves when the client's connection closes (the broker dropped it). */
function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** The messages a raw client receives, by topic. */
function received(client: MqttClient): string[] {
  const topics: string[] = [];
  client.on('message', (topic) => topics.push(topic));
  return topics;
}

describe('per-gateway broker accounts: issued, enforced, rotated and revoked (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  let cloud: MqttClient;
  const gateways: GatewayClient[] = [];
  const raw: MqttClient[] = [];
  const issued = new Set<string>();

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    baseUrl = testApi.baseUrl;
    cloud = await connectCloudAccount();
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((client) => client.close()));
    await Promise.all(raw.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await cloud?.endAsync(true);
    // The broker is shared and keeps accounts across runs: remove the ones made here.
    const accounts = testApi?.app.get(GatewayBrokerAccounts);
    for (const gatewayId of issued) await accounts?.remove(gatewayId);
    await testApi?.close();
  });

  /** A gateway the API knows (first Status through the shared account), not connected any more. */
  async function registeredGateway(companyId: string, prefix = 'gw-cred'): Promise<string> {
    const client = await connectGateway(uniqueId(prefix), companyId);
    await client.sendStatus({ version: '0.5', timestamp: Date.now() });
    await eventually(async () => expect((await getGateway(client.gatewayId)).status).toBe(200));
    await client.close();
    return client.gatewayId;
  }

  function getGateway(gatewayId: string) {
    return api<GatewayDto>(baseUrl, `/api/gateways/${gatewayId}`);
  }

  async function issue(gatewayId: string): Promise<GatewayCredentialsDto> {
    const response = await api<GatewayCredentialsDto>(baseUrl, `/api/gateways/${gatewayId}/credentials`, { method: 'POST' });
    expect(response.status).toBe(201);
    issued.add(gatewayId);
    return response.body;
  }

  /** One attempt at a raw MQTT connection over TLS (verified against the CA) with a gateway account. */
  async function attempt(account: Account, clientId = account.username, clean = true): Promise<ConnectOutcome> {
    const { username, password } = account;
    const outcome = await tryConnect(tlsUrl(), { username, password, clientId, clean, ca: brokerCa(), rejectUnauthorized: true });
    if (outcome.ok) raw.push(outcome.client);
    return outcome;
  }

  async function connectAs(account: Account, clientId = account.username, clean = true): Promise<MqttClient> {
    const outcome = await attempt(account, clientId, clean);
    if (!outcome.ok) throw outcome.error;
    return outcome.client;
  }

  async function expectRefused(account: Account, clientId = account.username): Promise<void> {
    const outcome = await attempt(account, clientId);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.message).toMatch(/not authori[sz]ed/i);
  }

  async function tlsGateway(gatewayId: string, companyId: string, account: Account): Promise<GatewayClient> {
    const client = await connectTlsGateway(gatewayId, companyId, { username: account.username, password: account.password });
    gateways.push(client);
    return client;
  }

  it('issues an account whose password is shown once; over TLS the gateway logs in with it under its own client id only', async () => {
    const companyId = uniqueId('co');
    const gatewayId = await registeredGateway(companyId);
    expect((await api<GatewayCredentialStatusDto>(baseUrl, `/api/gateways/${gatewayId}/credentials`)).body.state).toBe('none');

    const account = await issue(gatewayId);
    expect(account).toMatchObject({ gatewayId, username: gatewayId, state: 'active', change: 'issued', rotatedAt: null, revokedAt: null });
    expect(account.password.length).toBeGreaterThanOrEqual(32);
    const status = await api<GatewayCredentialStatusDto>(baseUrl, `/api/gateways/${gatewayId}/credentials`);
    expect(status.body).toEqual({ gatewayId, username: gatewayId, state: 'active', issuedAt: account.issuedAt, rotatedAt: null, revokedAt: null });

    const gateway = await tlsGateway(gatewayId, companyId, account);
    await gateway.sendStatus({ version: '0.7', timestamp: Date.now() });
    await eventually(async () => expect((await getGateway(gatewayId)).body.version).toBe('0.7'));

    await expectRefused(account, uniqueId('other-client'));
    await expectRefused({ ...account, password: `${account.password}x` });

    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${gatewayId}&type=gateway.modified`);
    expect(events.body.items.map((event) => event.details)).toEqual([{ credentials: 'issued' }]);
  });

  it('keeps gateway A to its own topics: it cannot speak for B, subscribe to B, or receive what is meant for B', async () => {
    const companyId = uniqueId('co');
    const [a, b] = [await registeredGateway(companyId, 'gw-a'), await registeredGateway(companyId, 'gw-b')];
    const accountA = await issue(a);
    const accountB = await issue(b);
    // Subscribing to B's topics, or to everything, is refused outright (SUBACK failure). Checked before
    // A's gateway client connects: a second connection with A's client id would take over its session.
    const rawA = await connectAs(accountA, a);
    for (const filter of [`TOGATEWAY/UPGRADE/${b}`, `TOGATEWAY/+/${b}`, 'TOGATEWAY/#', 'TOCLOUD/#', '#', '$CONTROL/#']) {
      await expect(rawA.subscribeAsync(filter, { qos: 1 })).rejects.toThrow();
    }
    await expect(rawA.subscribeAsync([`TOGATEWAY/UPGRADE/${a}`, 'TOGATEWAY/UPGRADE'], { qos: 1 })).resolves.toHaveLength(2);
    await rawA.endAsync(true);

    const gatewayA = await tlsGateway(a, companyId, accountA);
    const gatewayB = await tlsGateway(b, companyId, accountB);

    // Speaking for B (and for a gateway nobody registered): the broker drops it, so the cloud side never hears it.
    const neverRegistered = uniqueId('gw-c');
    await cloud.subscribeAsync([`TOCLOUD/+/${a}`, `TOCLOUD/+/${b}`, `TOCLOUD/+/${neverRegistered}`], { qos: 1 });
    const heardByCloud = received(cloud);
    await gatewayA.publishRaw(`TOCLOUD/STATUS/${b}`, encodeFrame(statusPayload({ companyId, version: '9.9' })), { qos: 1 });
    await gatewayA.publishRaw(`TOCLOUD/STATUS/${neverRegistered}`, encodeFrame(statusPayload({ companyId, version: '9.9' })), { qos: 1 });
    // A's own Status afterwards is the fence: once the API applied it, it would have applied the others.
    await gatewayA.sendStatus({ version: '0.8' });
    await eventually(async () => expect((await getGateway(a)).body.version).toBe('0.8'));
    expect((await getGateway(b)).body.version).toBe('0.5');
    expect((await getGateway(neverRegistered)).status).toBe(404);
    expect(heardByCloud.filter((topic) => topic.startsWith('TOCLOUD/STATUS/'))).toEqual([`TOCLOUD/STATUS/${a}`]);
    await cloud.unsubscribeAsync([`TOCLOUD/+/${a}`, `TOCLOUD/+/${b}`, `TOCLOUD/+/${neverRegistered}`]);

    // What is meant for B reaches B only; A (checked with its next own message as the fence) gets nothing of it.
    const forA: string[] = [];
    // Broadcasts of other test runs on the shared broker may arrive too; only addressed ones count.
    gatewayA.on('message', (message) => !message.broadcast && forA.push(message.topic));
    const toB = gatewayB.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    const fenceA = gatewayA.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${b}`, encodeFrame(Buffer.from('for-b')), { qos: 1 });
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${a}`, encodeFrame(Buffer.from('for-a')), { qos: 1 });
    expect((await toB).content.toString()).toBe('for-b');
    expect((await fenceA).content.toString()).toBe('for-a');
    expect(forA).toEqual([`TOGATEWAY/UPGRADE/${a}`]);
  });

  it('lets a per-gateway account hear the shared chunk streams of protocol v2, and only the API write them', async () => {
    const companyId = uniqueId('co');
    const a = await registeredGateway(companyId, 'gw-v2');
    const rawA = await connectAs(await issue(a), a);
    const topic = `TOGATEWAY/UPGRADE_CHUNK_SHARED/${'ab'.repeat(32)}`;
    await expect(rawA.subscribeAsync(topic, { qos: 0 })).resolves.toHaveLength(1);
    const heard: string[] = [];
    rawA.on('message', (_topic, payload) => heard.push(payload.toString()));
    await rawA.publishAsync(topic, Buffer.from('forged'), { qos: 1 }).catch(() => undefined);
    await cloud.publishAsync(topic, Buffer.from('from-api'), { qos: 1 });
    await eventually(async () => expect(heard).toContain('from-api'));
    expect(heard).not.toContain('forged');
    await rawA.endAsync(true);
  });

  it('holds the shared account to the client id as well: A cannot speak for B and receives nothing of B', async () => {
    const companyId = uniqueId('co');
    const [a, b] = [await registeredGateway(companyId, 'gw-a'), await registeredGateway(companyId, 'gw-b')];
    const shared = { username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway', password: process.env['MQTT_GATEWAY_PASSWORD'] ?? '' };

    // Mosquitto 2.0 does not check subscriptions against the ACL file: the subscription is accepted,
    // but delivery is checked per message, so nothing of B arrives.
    const rawA = await connectAs(shared, a);
    const topics = received(rawA);
    await rawA.subscribeAsync([`TOGATEWAY/UPGRADE/${b}`, `TOGATEWAY/UPGRADE/${a}`], { qos: 1 });
    const fence = new Promise<void>((resolve) => rawA.on('message', (topic) => topic === `TOGATEWAY/UPGRADE/${a}` && resolve()));
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${b}`, encodeFrame(Buffer.from('for-b')), { qos: 1 });
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${a}`, encodeFrame(Buffer.from('for-a')), { qos: 1 });
    await fence;
    expect(topics).toEqual([`TOGATEWAY/UPGRADE/${a}`]);
    await rawA.endAsync(true);

    const gatewayA = await tlsGateway(a, companyId, shared);
    await cloud.subscribeAsync([`TOCLOUD/+/${a}`, `TOCLOUD/+/${b}`], { qos: 1 });
    const heardByCloud = received(cloud);
    await gatewayA.publishRaw(`TOCLOUD/STATUS/${b}`, encodeFrame(statusPayload({ companyId, version: '9.9' })), { qos: 1 });
    await gatewayA.sendStatus({ version: '0.8' });
    await eventually(async () => expect((await getGateway(a)).body.version).toBe('0.8'));
    expect((await getGateway(b)).body.version).toBe('0.5');
    expect(heardByCloud.filter((topic) => topic.startsWith('TOCLOUD/STATUS/'))).toEqual([`TOCLOUD/STATUS/${a}`]);
    await cloud.unsubscribeAsync([`TOCLOUD/+/${a}`, `TOCLOUD/+/${b}`]);
  });

  it("delivers nothing of B to A even through subscriptions A's session kept from the shared account", async () => {
    const companyId = uniqueId('co');
    const [a, b] = [await registeredGateway(companyId, 'gw-a'), await registeredGateway(companyId, 'gw-b')];
    const shared = { username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway', password: process.env['MQTT_GATEWAY_PASSWORD'] ?? '' };
    // The shared account's file ACL accepts any subscription (Mosquitto 2.0 does not check them there).
    const sharedSession = await connectAs(shared, a, false);
    await sharedSession.subscribeAsync([`TOGATEWAY/+/${b}`, `TOGATEWAY/+/${a}`], { qos: 1 });
    await sharedSession.endAsync();

    const ownSession = await connectAs(await issue(a), a, false);
    const topics = received(ownSession);
    const fence = new Promise<void>((resolve) => ownSession.on('message', (topic) => topic === `TOGATEWAY/UPGRADE/${a}` && resolve()));
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${b}`, encodeFrame(Buffer.from('for-b')), { qos: 1 });
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${a}`, encodeFrame(Buffer.from('for-a')), { qos: 1 });
    await fence;
    expect(topics).toEqual([`TOGATEWAY/UPGRADE/${a}`]);
    await ownSession.endAsync();
    // Leave no persistent session behind on the shared broker.
    const cleanup = await attempt(shared, a, true);
    if (cleanup.ok) await cleanup.client.endAsync();
  });

  it('rotates: the open connection is closed, the old password refused, the new one works', async () => {
    const gatewayId = await registeredGateway(uniqueId('co'));
    const first = await issue(gatewayId);
    const connection = await connectAs(first);
    const dropped = closed(connection);

    const second = await issue(gatewayId);
    expect(second).toMatchObject({ change: 'rotated', issuedAt: first.issuedAt, state: 'active' });
    expect(second.password).not.toBe(first.password);
    await dropped;
    await expectRefused(first);
    expect((await attempt(second)).ok).toBe(true);
  });

  it('revokes: the open connection is closed at once and the gateway is refused from then on', async () => {
    const gatewayId = await registeredGateway(uniqueId('co'));
    const account = await issue(gatewayId);
    const connection = await connectAs(account);
    const dropped = closed(connection);

    const revoked = await api<GatewayCredentialStatusDto>(baseUrl, `/api/gateways/${gatewayId}/credentials`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ gatewayId, state: 'revoked' });
    expect(revoked.body.revokedAt).not.toBeNull();
    await dropped;
    await expectRefused(account);

    expect((await api(baseUrl, `/api/gateways/${gatewayId}/credentials`, { method: 'DELETE' })).status).toBe(409);
    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${gatewayId}&type=gateway.modified`);
    expect(events.body.items.map((event) => event.details)).toEqual([{ credentials: 'revoked' }, { credentials: 'issued' }]);

    // A new issue after a revocation is a fresh account.
    const reissued = await issue(gatewayId);
    expect(reissued).toMatchObject({ change: 'issued', revokedAt: null });
    expect((await attempt(reissued)).ok).toBe(true);
  });

  it('answers 404 for an unknown gateway and never creates an account for it', async () => {
    const unknown = uniqueId('gw-none');
    expect((await api(baseUrl, `/api/gateways/${unknown}/credentials`, { method: 'POST' })).status).toBe(404);
    expect((await api(baseUrl, `/api/gateways/${unknown}/credentials`)).status).toBe(404);
    expect((await api(baseUrl, `/api/gateways/${unknown}/credentials`, { method: 'DELETE' })).status).toBe(404);
  });
});

import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { seedAccounts, tokenOf } from '../../test/accounts';
import { eventually, forgetMqttSession, startTestApi, type TestApi } from '../../test/test-api';

// Closed by hand (TestApi.close drops the database first, which ends the streams through their login check).
describe('GET /api/stream when the API shuts down (real database)', () => {
  const mqttClientId = `um-test-live-shutdown-${randomBytes(4).toString('hex')}`;
  let api: TestApi;
  let mongoUrl: string;
  const opened: IncomingMessage[] = [];

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex'), MQTT_CLIENT_ID: mqttClientId });
    mongoUrl = process.env['MONGO_URL'] ?? '';
  });

  afterAll(async () => {
    for (const response of opened) response.destroy();
    const connection = await mongoose.createConnection(mongoUrl).asPromise();
    await connection.dropDatabase().finally(() => connection.close());
    await forgetMqttSession(`${mqttClientId}-${process.env['API_INSTANCE_ID']}`);
  });

  async function openStream(token: string): Promise<{ body: () => string; ended: Promise<void> }> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${api.baseUrl}/api/stream?access_token=${encodeURIComponent(token)}`, { headers: { accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    opened.push(response);
    expect(response.statusCode).toBe(200);
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    return { body: () => body, ended: new Promise<void>((resolve) => response.on('close', () => resolve())) };
  }

  it('ends the open streams, whose connections the HTTP server would otherwise wait for without end', async () => {
    const accounts = await seedAccounts(api.app);
    const streams = [await openStream(await tokenOf(api.baseUrl, accounts.user2)), await openStream(await tokenOf(api.baseUrl, accounts.admin2))];
    for (const stream of streams) await eventually(async () => expect(stream.body()).toContain(': connected'));
    await api.app.close();
    await Promise.all(streams.map((stream) => stream.ended));
  });
});

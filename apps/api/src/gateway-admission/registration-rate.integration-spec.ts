import type { GatewayListDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, metricValue, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { GatewayActivityService } from '../gateway-protocol/gateway-activity.service';

const PER_MINUTE = 3;

describe('registration rate (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', REGISTRATION_GATEWAYS_PER_MINUTE: String(PER_MINUTE) });
    baseUrl = testApi.baseUrl;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('refuses new gateways beyond the bound per minute, and counts them', async () => {
    const prefix = uniqueId('gw-rate');
    const companyId = uniqueId('co');
    // Seven within a few seconds: even if a minute ends in between, two windows hold at most six.
    const attempts = 2 * PER_MINUTE + 1;
    for (let index = 0; index < attempts; index += 1) {
      const client = await connectGateway(`${prefix}-${index}`, companyId);
      clients.push(client);
      await client.sendStatus({ version: '0.5' });
    }
    const refusals = await eventually(async () => {
      const count = await metricValue(baseUrl, 'um_gateway_registrations_refused_total', { reason: 'gateways-per-minute' });
      await testApi.app.get(GatewayActivityService).flush();
      const list = await api<GatewayListDto>(baseUrl, `/api/gateways?search=${prefix}`);
      expect(count + list.body.total).toBe(attempts);
      return count;
    });
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(attempts - refusals).toBeGreaterThanOrEqual(PER_MINUTE);
  });
});

import type { DeploymentCreatedDto, DeploymentDetailDto, DeploymentListDto, GatewayListDto, GatewaySummaryDto } from '@upgrade-manager/dto';
import { fleetGatewayIds, forEachConcurrently, GatewayFleet } from '@upgrade-manager/gateway-client';
import { api, gatewayOptions, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually, startTestApi, type TestApi } from './test-api';

const FLEET_SIZE = 1000;
// Connections and messages in flight at once: a staggered start, as a real fleet would come up.
const CONCURRENCY = 50;

/** A functional test at fleet scale; how fast it goes is the benchmark's business. */
describe(`a fleet of ${FLEET_SIZE} gateways in one process`, () => {
  let testApi: TestApi;
  let fleet: GatewayFleet | undefined;
  const companyId = uniqueId('co-fleet');
  const version = `${uniqueMajor()}.1`;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    await uploadVersion(testApi.baseUrl, version, version);
  });

  afterAll(async () => {
    await fleet?.close();
    await testApi?.close();
  });

  it('registers every gateway and confirms an upgrade deployed to their company', async () => {
    const { gatewayId: _unused, ...client } = gatewayOptions('unused', companyId);
    fleet = new GatewayFleet({ gatewayIds: fleetGatewayIds(uniqueId('gw-fleet'), FLEET_SIZE), client, concurrency: CONCURRENCY });
    // Like a field gateway: install the Upgrade at once (test images are version strings) and report.
    for (const gateway of fleet.clients) {
      gateway.onUpgrade((content) => void gateway.sendStatus({ version: content.toString(), timestamp: Date.now() }).catch(() => undefined));
    }
    const started = await fleet.start();
    expect(started.failed).toEqual([]);
    expect(started.connected).toBe(FLEET_SIZE);

    await forEachConcurrently(fleet.clients, CONCURRENCY, (gateway) => gateway.sendStatus({ version: '0.5' }));
    await eventually(
      async () => {
        const { body } = await api<GatewayListDto>(testApi.baseUrl, `/api/gateways?companyId=${companyId}&limit=1`);
        expect(body.total).toBe(FLEET_SIZE);
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

    const created = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', { method: 'POST', body: { version, companyId } });
    expect(created.status).toBe(201);
    expect(created.body.targets).toHaveLength(FLEET_SIZE);

    // Polls the light list (counts only), then reads the targets once.
    await eventually(
      async () => {
        const { body } = await api<DeploymentListDto>(testApi.baseUrl, '/api/deployments?limit=1');
        expect(body.items[0].counts).toEqual({ total: FLEET_SIZE, pending: 0, confirmed: FLEET_SIZE, failed: 0 });
      },
      { timeoutMs: 180_000, intervalMs: 2_000 },
    );
    const detail = (await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`)).body;
    expect(detail.targets.every((target) => target.status === 'confirmed')).toBe(true);
    expect(new Set(detail.targets.map((target) => target.gatewayId)).size).toBe(FLEET_SIZE);

    const upgraded = await api<GatewayListDto>(testApi.baseUrl, `/api/gateways?companyId=${companyId}&version=${version}&upgradeStatus=confirmed&limit=1`);
    expect(upgraded.body.total).toBe(FLEET_SIZE);
    const summary = await api<GatewaySummaryDto>(testApi.baseUrl, '/api/gateways/summary');
    expect(summary.body.versions).toEqual(expect.arrayContaining([{ version, count: FLEET_SIZE }]));
  }, 420_000);
});

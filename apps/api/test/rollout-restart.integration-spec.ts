import type { RolloutDetailDto, RolloutTargetListDto } from '@upgrade-manager/dto';
import { fleetGatewayIds, forEachConcurrently, GatewayFleet } from '@upgrade-manager/gateway-client';
import { ChildApi } from './child-api';
import { api, gatewayOptions, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually } from './test-api';

const FLEET_SIZE = 30;
// Gateways take this long to install, so the API is killed while targets are pending.
const INSTALL_MS = 1500;

/** The API killed with SIGKILL mid-phase and started again: the rollout resumes, nothing sent twice. */
describe('API restart during a rollout (built API as a child process)', () => {
  const version = `${uniqueMajor()}.1`;
  const child = new ChildApi();
  const companyId = uniqueId('co-restart');
  const prefix = uniqueId('gw-ro-restart');
  const ids = fleetGatewayIds(prefix, FLEET_SIZE);
  const received = new Map<string, number>();
  let fleet: GatewayFleet | undefined;

  beforeAll(async () => {
    await child.build();
  }, 240_000);

  afterAll(async () => {
    await fleet?.close();
    await child.dispose();
  });

  it('finishes with every target decided once and every gateway upgraded once', async () => {
    await child.start();
    const baseUrl = child.baseUrl;
    await uploadVersion(baseUrl, version, version);
    const { gatewayId: _unused, ...client } = gatewayOptions('unused', companyId);
    fleet = new GatewayFleet({ gatewayIds: ids, client, concurrency: 25 });
    for (const gateway of fleet.clients) {
      gateway.onUpgrade((content) => {
        received.set(gateway.gatewayId, (received.get(gateway.gatewayId) ?? 0) + 1);
        setTimeout(() => void gateway.sendStatus({ version: content.toString(), timestamp: Date.now() }).catch(() => undefined), INSTALL_MS);
      });
    }
    expect((await fleet.start()).failed).toEqual([]);
    await forEachConcurrently(fleet.clients, 25, (gateway) => gateway.sendStatus({ version: '0.5', timestamp: Date.now() }));
    await eventually(
      async () =>
        expect((await api(baseUrl, '/api/gateways/match', { method: 'POST', body: { filter: { companyId } } })).body).toMatchObject({ total: FLEET_SIZE }),
      {
        timeoutMs: 30_000,
      },
    );

    const created = await api<RolloutDetailDto>(baseUrl, '/api/rollouts', {
      method: 'POST',
      body: { version, filter: { companyId }, phases: [{ percent: 20 }, { percent: 60 }, { percent: 100 }] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Mid-phase: the second phase has started and its gateways are installing.
    await eventually(async () => expect((await api<RolloutDetailDto>(baseUrl, `/api/rollouts/${id}`)).body.phases[1].counts.pending).toBeGreaterThan(0), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await child.kill();
    await new Promise((resolve) => setTimeout(resolve, INSTALL_MS + 500));
    await child.start();

    const finished = await eventually(
      async () => {
        const { body } = await api<RolloutDetailDto>(baseUrl, `/api/rollouts/${id}`);
        expect(body.state).toBe('finished');
        return body;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(finished.counts).toMatchObject({ confirmed: FLEET_SIZE, failed: 0, waiting: 0, starting: 0, pending: 0 });
    const targets = (await api<RolloutTargetListDto>(baseUrl, `/api/rollouts/${id}/targets?limit=1000`)).body.items;
    expect(targets.map((target) => target.attempts)).toEqual(targets.map(() => 1));
    expect(ids.map((gatewayId) => received.get(gatewayId) ?? 0)).toEqual(ids.map(() => 1));
  }, 180_000);
});

import type { DeploymentRolloutCreatedDto, EventListDto, RolloutDetailDto, RolloutListDto, RolloutTargetListDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import { fleetGatewayIds, forEachConcurrently, GatewayFleet, type GatewayClient } from '@upgrade-manager/gateway-client';
import { call, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { gatewayOptions, connectGateway, uniqueId, uniqueMajor } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import { SUPER_COMPANY_ID } from '@upgrade-manager/dto';
import { Types, type Connection, type Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DeploymentsService } from '../deployments/deployments.service';
import { outcomeEventId } from '../deployments/target-decision';
import { targetId } from '../deployments/target-lists';
import { RolloutController } from './rollout-controller.service';
import { RolloutOrderStore } from './rollout-order.store';
import { RolloutTargetsStore } from './rollout-targets.store';
import { Rollout } from './rollout.schema';
import { newTarget } from './rollouts.service';

type Who = 'super' | 'admin2' | 'admin3' | 'user2';

/** Simulated gateways that install an Upgrade at once and report; the `fails` ones report the old version. */
interface TestFleet {
  fleet: GatewayFleet;
  prefix: string;
  ids: string[];
  // Receive times of every Upgrade, per gateway.
  received: Map<string, number[]>;
}

describe('rollouts (real broker and database, simulated gateways)', () => {
  let testApi: TestApi;
  let accounts: TestAccounts;
  const tokens = {} as Record<Who, string>;
  const fleets: TestFleet[] = [];
  const extraClients: GatewayClient[] = [];
  const version = `${uniqueMajor()}.1`;

  const as = (who: Who, method: string, path: string, body?: unknown) => call(testApi.baseUrl, method, path, tokens[who], body);
  const getRollout = async (id: string) => (await as('super', 'GET', `/api/rollouts/${id}`)).body as RolloutDetailDto;
  const targetsOf = async (id: string) => ((await as('super', 'GET', `/api/rollouts/${id}/targets?limit=1000`)).body as RolloutTargetListDto).items;

  async function startFleet(count: number, companyId: string, fails: (index: number, attempt: number) => boolean = () => false): Promise<TestFleet> {
    const prefix = uniqueId('gw-ro');
    const ids = fleetGatewayIds(prefix, count);
    const { gatewayId: _unused, ...client } = gatewayOptions('unused', companyId);
    const fleet = new GatewayFleet({ gatewayIds: ids, client, concurrency: 25 });
    const received = new Map<string, number[]>();
    fleet.clients.forEach((gateway, index) => {
      gateway.onUpgrade((content) => {
        const times = [...(received.get(gateway.gatewayId) ?? []), Date.now()];
        received.set(gateway.gatewayId, times);
        const reported = fails(index, times.length) ? '0.5' : content.toString();
        void gateway.sendStatus({ version: reported, timestamp: Date.now() }).catch(() => undefined);
      });
    });
    const testFleet = { fleet, prefix, ids, received };
    fleets.push(testFleet);
    const started = await fleet.start();
    expect(started.failed).toEqual([]);
    await forEachConcurrently(fleet.clients, 25, (gateway) => gateway.sendStatus({ version: '0.5', timestamp: Date.now() }));
    await eventually(
      async () => expect((await as('super', 'POST', '/api/gateways/match', { filter: { idPattern: `${prefix}-*` } })).body).toMatchObject({ total: count }),
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    return testFleet;
  }

  async function create(who: Who, body: Record<string, unknown>): Promise<RolloutDetailDto> {
    const response = await as(who, 'POST', '/api/rollouts', { version, ...body });
    expect(response).toMatchObject({ status: 201 });
    return response.body as RolloutDetailDto;
  }

  async function waitForState(id: string, states: string[], timeoutMs = 60_000): Promise<RolloutDetailDto> {
    return eventually(
      async () => {
        const rollout = await getRollout(id);
        expect(states).toContain(rollout.state);
        return rollout;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'jwt', HOST: '127.0.0.1' });
    accounts = await seedAccounts(testApi.app);
    for (const who of ['super', 'admin2', 'admin3', 'user2'] as Who[]) tokens[who] = await tokenOf(testApi.baseUrl, accounts[who]);
    const form = new FormData();
    form.append('version', version);
    form.append('file', new Blob([Buffer.from(version)]), 'image.bin');
    const uploaded = await fetch(`${testApi.baseUrl}/api/versions`, { method: 'POST', body: form, headers: { authorization: `Bearer ${tokens.super}` } });
    expect(uploaded.status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([...fleets.map(({ fleet }) => fleet.close()), ...extraClients.map((client) => client.close())]);
    await testApi?.close();
  });

  it('runs 100 gateways through phases of 10 %, 50 %, 100 %, strictly in order, each gateway upgraded once', async () => {
    const { prefix, ids, received } = await startFleet(100, uniqueId('co'));
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 10 }, { percent: 50 }, { percent: 100 }] });
    expect(rollout).toMatchObject({ targets: 100, filter: { idPattern: `${prefix}-*` } });
    // The answer is read back once the rollout is stored: the controller may have started it by then.
    expect(['scheduled', 'running']).toContain(rollout.state);
    expect(Object.keys(rollout.filter)).toEqual(['idPattern']);
    expect(rollout.phases.map((phase) => phase.targets)).toEqual([10, 40, 50]);

    const finished = await waitForState(rollout.id, ['finished'], 120_000);
    expect(finished.counts).toMatchObject({ confirmed: 100, failed: 0, waiting: 0, pending: 0 });
    expect(finished.phases.every((phase) => phase.state === 'done')).toBe(true);
    expect(ids.every((gatewayId) => received.get(gatewayId)?.length === 1)).toBe(true);

    // At the gateways: every Upgrade of a phase arrived after every one of the phase before.
    const targets = await targetsOf(rollout.id);
    const times = [0, 1, 2].map((phase) => targets.filter((target) => target.phase === phase).map((target) => received.get(target.gatewayId)?.[0] ?? NaN));
    for (const phase of [1, 2]) expect(Math.min(...times[phase])).toBeGreaterThanOrEqual(Math.max(...times[phase - 1]));
  }, 180_000);

  it('aborts in phase 1 when three in four gateways fail, and no gateway of a later phase receives an Upgrade', async () => {
    // Phase 1 is 10 gateways drawn at random: with half failing, about 1 draw in 100 held too few
    // failures to reach the abort rate; with three in four, about 1 in 100,000.
    const { prefix, received } = await startFleet(100, uniqueId('co'), (index) => index % 4 !== 0);
    const rollout = await create('super', {
      filter: { idPattern: `${prefix}-*` },
      phases: [{ percent: 10 }, { percent: 50 }, { percent: 100 }],
      abort: { failureRate: 0.2, minFinished: 5 },
    });
    const aborted = await waitForState(rollout.id, ['aborted']);
    expect(aborted.stateReason).toMatch(/^phase 1: /);
    expect(aborted.currentPhase).toBe(0);
    expect(aborted.failures[0]).toMatchObject({ reason: 'reported-version 0.5' });
    // Give a late start the time it would need to show.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const later = (await targetsOf(rollout.id)).filter((target) => target.phase > 0);
    expect(later).toHaveLength(90);
    expect(later.filter((target) => received.has(target.gatewayId))).toEqual([]);
    expect(later.every((target) => target.state === 'waiting')).toBe(true);
    const events = (await as('super', 'GET', '/api/events?type=rollout.aborted')).body as EventListDto;
    expect(events.items.some((event) => event.details['rolloutId'] === rollout.id && event.actor === null)).toBe(true);
  }, 120_000);

  it('a plain POST /api/deployments is a one-phase rollout of 100 % that the controller finishes once every target is decided', async () => {
    // Two of six fail: a plain deployment has no threshold, so it finishes with its failures counted.
    const { ids, received } = await startFleet(6, '2', (index) => index < 2);
    const response = await as('admin2', 'POST', '/api/deployments', { version, gatewayIds: ids });
    expect(response.status).toBe(201);
    const created = response.body as DeploymentRolloutCreatedDto;
    expect(created).toMatchObject({ version, targets: expect.arrayContaining([expect.objectContaining({ gatewayId: ids[0], status: 'pending' })]) });
    expect(created.targets).toHaveLength(6);

    const started = await getRollout(created.rolloutId);
    expect(started).toMatchObject({ deploymentId: created.id, version, companyId: '2', targets: 6, currentPhase: 0, autoAdvance: true, successThreshold: 0 });
    expect(started.phases).toEqual([expect.objectContaining({ percent: 100, targets: 6 })]);
    expect(['running', 'finished']).toContain(started.state);

    const finished = await waitForState(created.rolloutId, ['finished']);
    expect(finished.counts).toMatchObject({ confirmed: 4, failed: 2, pending: 0, waiting: 0 });
    expect(finished.phases[0]).toMatchObject({ state: 'done' });
    expect(finished.failures.map((failure) => failure.reason)).toEqual(['reported-version 0.5', 'reported-version 0.5']);
    // The deployment itself answers as before, with the same outcome; each gateway got one Upgrade.
    expect((await as('admin2', 'GET', `/api/deployments/${created.id}`)).body).toMatchObject({ counts: { total: 6, confirmed: 4, failed: 2, pending: 0 } });
    expect(ids.map((gatewayId) => received.get(gatewayId)?.length)).toEqual(ids.map(() => 1));
    const targets = await targetsOf(created.rolloutId);
    expect(targets.map((target) => target.gatewayId)).toEqual(created.targets.map((target) => target.gatewayId));
    expect(targets.every((target) => target.deploymentId === created.id && target.attempts === 1 && target.phase === 0)).toBe(true);
    expect(targets.filter((target) => target.state === 'failed').map((target) => target.gatewayId)).toEqual(ids.slice(0, 2));
    expect(targets.every((target) => target.decidedAt !== null)).toBe(true);
    const failedPage = (await as('super', 'GET', `/api/rollouts/${created.rolloutId}/targets?state=failed&limit=1&offset=1`)).body as RolloutTargetListDto;
    expect(failedPage).toMatchObject({ total: 2, items: [expect.objectContaining({ state: 'failed', reason: 'reported-version 0.5' })] });
    // A page without a state reads only its own targets' decisions; the same slice, in start order, of all of them.
    const decisionIds = new Map(ids.map((gatewayId) => [outcomeEventId({ _id: targetId(created.id, gatewayId) }).toHexString(), gatewayId]));
    const looked: string[] = [];
    const connection = testApi.app.get<Connection>(getConnectionToken());
    connection.set('debug', (collection: string, method: string, query: { _id?: { $in?: unknown[] } }) => {
      if (collection !== 'events' || method !== 'find') return;
      for (const id of query._id?.$in ?? []) if (decisionIds.has(String(id))) looked.push(decisionIds.get(String(id)) ?? '');
    });
    let page: RolloutTargetListDto;
    try {
      page = (await as('admin2', 'GET', `/api/rollouts/${created.rolloutId}/targets?limit=2&offset=3`)).body as RolloutTargetListDto;
    } finally {
      connection.set('debug', false);
    }
    expect(page).toMatchObject({ total: 6, offset: 3, limit: 2, items: targets.slice(3, 5) });
    expect(looked.sort()).toEqual(
      targets
        .slice(3, 5)
        .map((target) => target.gatewayId)
        .sort(),
    );
    expect((await as('admin2', 'GET', `/api/rollouts/${created.rolloutId}/targets?phase=0&offset=5`)).body).toMatchObject({
      total: 6,
      items: targets.slice(5),
    });
    expect((await as('admin2', 'GET', `/api/rollouts/${created.rolloutId}/targets?phase=1`)).body).toMatchObject({ total: 0, items: [] });
    expect((await as('admin3', 'GET', `/api/rollouts/${created.rolloutId}/targets?limit=2`)).status).toBe(404);
    // Its targets are the deployment's: no rollout target or batch is written for them.
    const db = connection.db!;
    expect(await db.collection('rollout_targets').countDocuments({ rolloutId: created.rolloutId })).toBe(0);
    expect(await db.collection('rollout_batches').countDocuments({ rolloutId: created.rolloutId })).toBe(0);
    const events = (await as('admin2', 'GET', '/api/events?type=rollout.finished')).body as EventListDto;
    expect(events.items.some((event) => event.details['rolloutId'] === created.rolloutId)).toBe(true);
    // Within its company, like the deployment.
    expect((await as('admin3', 'GET', `/api/rollouts/${created.rolloutId}`)).status).toBe(404);
  }, 90_000);

  it('a plain deployment that is cancelled sends nothing more and still collects what is pending', async () => {
    const { ids } = await startFleet(3, uniqueId('co'), () => true);
    const created = (await as('super', 'POST', '/api/deployments', { version, gatewayIds: ids })).body as DeploymentRolloutCreatedDto;
    const cancelled = await as('super', 'POST', `/api/rollouts/${created.rolloutId}/cancel`);
    // The gateways may have answered already: then it finished before the cancel.
    expect([200, 409]).toContain(cancelled.status);
    await eventually(async () => expect((await getRollout(created.rolloutId)).counts).toMatchObject({ failed: 3, pending: 0 }), { timeoutMs: 30_000 });
    expect(['cancelled', 'finished']).toContain((await getRollout(created.rolloutId)).state);
  }, 60_000);

  it("a plain deployment's rollout of the previous version (rollout targets and a batch) is still followed to its end", async () => {
    const { ids } = await startFleet(4, '2', (index) => index === 0);
    const principal: Principal = { userId: 'previous-version', email: 'previous@example.com', role: 'super', companyId: SUPER_COMPANY_ID };
    const rolloutId = new Types.ObjectId();
    const id = rolloutId.toString();
    // What DeploymentRolloutsService wrote before the rollout's targets were its deployment's.
    const created = await testApi.app.get(DeploymentsService).create(
      principal,
      { version, gatewayIds: ids },
      {
        beforeStart: async (deployment) => {
          const now = new Date();
          await testApi.app.get(RolloutTargetsStore).insert(
            deployment.targets.map((target, index) => ({
              ...newTarget(id, target, 0, index, 0),
              state: 'pending' as const,
              attempts: 1,
              deploymentId: deployment.id,
              startedAt: now,
            })),
          );
          await testApi.app.get(RolloutOrderStore).recordBatch({
            _id: deployment.id,
            rolloutId: id,
            gatewayIds: deployment.targets.map((target) => target.gatewayId),
            phases: deployment.targets.map(() => 0),
            attempts: deployment.targets.map(() => 1),
          });
          const counts = { waiting: 0, starting: 0, pending: deployment.targets.length, confirmed: 0, failed: 0, skipped: 0 };
          await testApi.app.get<Model<Rollout>>(getModelToken(Rollout.name)).create({
            _id: rolloutId,
            version,
            companyId: '2',
            filter: {},
            phases: [{ percent: 100, count: null, end: deployment.targets.length, startedAt: now, finishedAt: null, counts }],
            successThreshold: 0,
            autoAdvance: true,
            deploymentId: deployment.id,
            state: 'running',
            currentPhase: 0,
            targetCount: deployment.targets.length,
            createdBy: { userId: principal.userId, email: principal.email, role: principal.role, companyId: principal.companyId },
            startedAt: now,
            nextPosition: deployment.targets.length,
          });
        },
      },
    );
    const finished = await waitForState(id, ['finished']);
    expect(finished.counts).toMatchObject({ confirmed: 3, failed: 1, pending: 0 });
    expect(finished.failures).toEqual([expect.objectContaining({ gatewayId: ids[0], reason: 'reported-version 0.5' })]);
    const targets = await targetsOf(id);
    expect(targets.map((target) => [target.gatewayId, target.state])).toEqual(ids.map((gatewayId, index) => [gatewayId, index === 0 ? 'failed' : 'confirmed']));
    expect(targets.every((target) => target.deploymentId === created.id)).toBe(true);
  }, 60_000);

  it('starts at most maxPerMinute targets in a minute, as the gateways receive them', async () => {
    const { prefix, received } = await startFleet(8, uniqueId('co'));
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 100 }], maxPerMinute: 3 });
    await eventually(async () => expect(received.size).toBe(3), { timeoutMs: 20_000, intervalMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(received.size).toBe(3);
    const detail = await getRollout(rollout.id);
    expect(detail).toMatchObject({ state: 'running', counts: { waiting: 5, confirmed: 3 } });
    expect(detail.secondsLeft).toBe(100);
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  }, 60_000);

  it('sends nothing outside its maintenance window', async () => {
    const { prefix, received } = await startFleet(3, uniqueId('co'));
    const hour = (new Date().getUTCHours() + 2) % 24;
    const at = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const window = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: at(hour), to: at(hour + 1), timeZone: 'UTC' };
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 100 }], window });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(received.size).toBe(0);
    expect(await getRollout(rollout.id)).toMatchObject({ state: 'scheduled', counts: { waiting: 3 } });
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  }, 60_000);

  it('continuous: a gateway registering after the start joins and receives the upgrade', async () => {
    const companyId = uniqueId('co');
    const { prefix } = await startFleet(3, companyId);
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 100 }], continuous: true });
    await eventually(async () => expect((await getRollout(rollout.id)).counts.confirmed).toBe(3), { timeoutMs: 30_000, intervalMs: 250 });

    const late = await connectGateway(`${prefix}-late`, companyId);
    extraClients.push(late);
    const upgrade = late.waitFor(ToGatewayMessageType.Upgrade, () => true, 30_000);
    await late.sendStatus({ version: '0.5', timestamp: Date.now() });
    expect((await upgrade).content.toString()).toBe(version);
    await late.sendStatus({ version, timestamp: Date.now() });
    await eventually(async () => expect(await getRollout(rollout.id)).toMatchObject({ state: 'running', targets: 4, counts: { confirmed: 4 } }), {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  }, 90_000);

  it('without autoAdvance, waits for an approval after each phase; approvals are in the event log', async () => {
    const { prefix, received } = await startFleet(6, uniqueId('co'));
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ count: 2 }, { percent: 100 }], autoAdvance: false });
    const waiting = await waitForState(rollout.id, ['waiting-approval']);
    expect(waiting.actions).toEqual(['approve', 'pause', 'cancel']);
    expect(waiting.phases.map((phase) => phase.counts.confirmed)).toEqual([2, 0]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(received.size).toBe(2);

    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/resume`)).status).toBe(409);
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/approve`)).status).toBe(200);
    const finished = await waitForState(rollout.id, ['finished']);
    expect(finished.counts.confirmed).toBe(6);
    const approved = (await as('super', 'GET', '/api/events?type=rollout.approved')).body as EventListDto;
    expect(approved.items.find((event) => event.details['rolloutId'] === rollout.id)?.actor).toMatchObject({ email: accounts.super.email });
  }, 90_000);

  it('retries a failed target after its back-off, up to the cap', async () => {
    // Gateway 1 fails its first attempt only; gateway 2 fails every attempt.
    const { prefix, ids, received } = await startFleet(2, uniqueId('co'), (index, attempt) => index === 1 || attempt === 1);
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 100 }], retries: { max: 2, backoffSeconds: 1 } });
    const below = await waitForState(rollout.id, ['waiting-approval']);
    expect(below).toMatchObject({ counts: { confirmed: 1, failed: 1 }, stateReason: 'phase 1 ended below its success threshold (1 of 2 confirmed)' });
    expect(ids.map((gatewayId) => received.get(gatewayId)?.length)).toEqual([2, 3]);
    const [first, second] = received.get(ids[1]) ?? [];
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(below.failures).toEqual([expect.objectContaining({ gatewayId: ids[1], attempts: 3, reason: 'reported-version 0.5' })]);
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/approve`)).body).toMatchObject({ state: 'finished' });
  }, 60_000);

  it('pauses and resumes: nothing starts while paused', async () => {
    const { prefix, received } = await startFleet(4, uniqueId('co'));
    const window = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '00:00', timeZone: 'Europe/Zurich' };
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 100 }], window, jitterSeconds: 1 });
    const paused = await as('super', 'POST', `/api/rollouts/${rollout.id}/pause`);
    expect(paused.body).toMatchObject({ state: 'paused', actions: ['resume', 'cancel'] });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(received.size).toBe(0);
    expect((await as('super', 'POST', `/api/rollouts/${rollout.id}/resume`)).status).toBe(200);
    await waitForState(rollout.id, ['finished']);
    expect(received.size).toBe(4);
  }, 60_000);

  it('two controllers ticking at once never start a target twice', async () => {
    const { prefix, ids, received } = await startFleet(20, uniqueId('co'));
    const controller = testApi.app.get(RolloutController);
    const rollout = await create('super', { filter: { idPattern: `${prefix}-*` }, phases: [{ percent: 50 }, { percent: 100 }] });
    for (let round = 0; round < 20 && (await getRollout(rollout.id)).state !== 'finished'; round += 1) {
      await Promise.all([controller.tick(), controller.tick(), controller.tick()]);
    }
    await waitForState(rollout.id, ['finished']);
    expect(ids.map((gatewayId) => received.get(gatewayId)?.length ?? 0)).toEqual(ids.map(() => 1));
  }, 90_000);

  it('gives a rollout turn to one of many controllers taking it at once, and again once its holder is gone', async () => {
    const order = testApi.app.get(RolloutOrderStore);
    const rolloutId = uniqueId('turn');
    const now = new Date();
    const longAgo = new Date(now.getTime() - 3_600_000);
    const taken = await Promise.all(Array.from({ length: 12 }, () => order.takeTurn(rolloutId, 7, now, longAgo)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await order.takeTurn(rolloutId, 8, now, longAgo)).toBe(true);
    // A holder that never moved the rollout on: its turn is stale after a while and taken again, once.
    const later = new Date(now.getTime() + 1);
    expect(await order.takeTurn(rolloutId, 7, later, later)).toBe(true);
    expect(await order.takeTurn(rolloutId, 7, later, later)).toBe(false);
  });

  it('keeps admins within their company and users out', async () => {
    const { prefix } = await startFleet(2, '2');
    const filter = { idPattern: `${prefix}-*` };
    expect((await as('admin3', 'POST', '/api/rollouts', { version, filter: { ...filter, companyId: '2' }, phases: [{ percent: 100 }] })).status).toBe(403);
    // Without a company, an admin's filter is its own company: nothing of company 2 matches.
    expect((await as('admin3', 'POST', '/api/rollouts', { version, filter, phases: [{ percent: 100 }] })).status).toBe(404);
    expect((await as('user2', 'POST', '/api/rollouts', { version, filter, phases: [{ percent: 100 }] })).status).toBe(403);

    const rollout = await create('admin2', { filter, phases: [{ percent: 100 }], autoAdvance: false });
    expect(rollout.companyId).toBe('2');
    expect((await as('admin3', 'GET', `/api/rollouts/${rollout.id}`)).status).toBe(404);
    expect((await as('admin3', 'POST', `/api/rollouts/${rollout.id}/cancel`)).status).toBe(404);
    expect(((await as('admin3', 'GET', '/api/rollouts')).body as RolloutListDto).items.map((item) => item.id)).not.toContain(rollout.id);
    expect(((await as('admin2', 'GET', '/api/rollouts')).body as RolloutListDto).items.map((item) => item.id)).toContain(rollout.id);
    const seenByUser = await as('user2', 'GET', `/api/rollouts/${rollout.id}`);
    expect(seenByUser.body).toMatchObject({ actions: [] });
    expect((await as('user2', 'POST', `/api/rollouts/${rollout.id}/pause`)).status).toBe(403);
    expect((await as('admin2', 'POST', `/api/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  }, 60_000);

  it('refuses unsafe or malformed input', async () => {
    const bad = [
      { filter: { idPattern: '(a+)+$' }, phases: [{ percent: 100 }] },
      { filter: {}, phases: [] },
      { filter: {}, phases: [{ percent: 10, count: 3 }] },
      { filter: {}, phases: [{ percent: 100 }], successThreshold: 1.5 },
      { filter: {}, phases: [{ percent: 100 }], window: { days: ['mon'], from: '25:00', to: '01:00', timeZone: 'UTC' } },
      { filter: {}, phases: [{ percent: 100 }], window: { days: ['mon'], from: '01:00', to: '02:00', timeZone: 'Mars/Olympus' } },
      { filter: {}, phases: [{ percent: 100 }], extra: true },
    ];
    for (const body of bad) expect((await as('super', 'POST', '/api/rollouts', { version, ...body })).status).toBe(400);
    expect((await as('super', 'POST', '/api/rollouts', { version: '99999.9', filter: {}, phases: [{ percent: 100 }] })).status).toBe(404);
  });
});

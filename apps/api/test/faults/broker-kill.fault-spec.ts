import { randomBytes } from 'node:crypto';
import type { BuiltApi } from './built-api';
import { sleep } from './built-api';
import { OwnServices } from './own-services';
import { decidedTargets, decisionEventsPerGateway, deployToAll, faultApi, InstallingFleet, json } from './rollout-fault';

const GATEWAYS = 200;
const TIMEOUT_S = 30;

// The broker dies (SIGKILL) right after a deployment to 200 gateways and comes back 3 s later:
// every target is decided exactly once, nothing stays pending past its time-out, and
// /api/health says the broker is down meanwhile.
describe('fault: the broker is SIGKILLed in the middle of a rollout to 200 gateways', () => {
  const services = new OwnServices();
  const name = `um-fault-broker-${randomBytes(4).toString('hex')}`;
  let api: BuiltApi;
  let fleet: InstallingFleet | undefined;

  beforeAll(async () => {
    await services.start();
    api = faultApi(services, name, TIMEOUT_S);
    await api.start();
  }, 180_000);

  afterAll(async () => {
    await fleet?.close();
    await api?.stop();
    await services.stop();
  });

  it('decides every target exactly once and tells the truth about its health', async () => {
    fleet = new InstallingFleet(services, `gw-${name}`, GATEWAYS);
    await fleet.start(api, '0.5');
    const deploymentId = await deployToAll(api, '1.1');

    services.kill('mosquitto');
    await sleep(1_500);
    const duringOutage = await json<{ mqtt: string }>(fetch(`${api.baseUrl}/api/health`));
    await sleep(1_500);
    await services.start();
    expect(duringOutage.status).toBe(503);
    expect(duringOutage.body.mqtt).toBe('down');

    const statuses = (await decidedTargets(api, deploymentId, (TIMEOUT_S + 60) * 1000)).map((target) => target.status);
    expect(statuses).toHaveLength(GATEWAYS);
    expect(statuses.filter((status) => status === 'pending')).toEqual([]);

    // Exactly once: one confirmed-or-failed event per gateway.
    const perGateway = await decisionEventsPerGateway(services.env(name)['MONGO_URL'], deploymentId);
    expect([...perGateway.values()].filter((count) => count !== 1)).toEqual([]);
    expect(perGateway.size).toBe(GATEWAYS);
    // The targets can all be decided (failed publishes) before the API's clients are back: health turns 200 once they are.
    expect(await healthOnceRecovered(api.baseUrl, 30_000)).toBe(200);
    const confirmed = statuses.filter((status) => status === 'confirmed').length;
    process.stdout.write(
      `\nBroker SIGKILL mid-rollout: ${GATEWAYS} targets, ${fleet.installed.size} Upgrades received, ${confirmed} confirmed, ` +
        `${GATEWAYS - confirmed} failed by the time-out, none pending, each decided once with one event\n`,
    );
  });
});

/** The health status once it is 200, or the last one seen when `timeoutMs` passed first. */
async function healthOnceRecovered(baseUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await fetch(`${baseUrl}/api/health`);
    if (status === 200 || Date.now() > deadline) return status;
    await sleep(500);
  }
}

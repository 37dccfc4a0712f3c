import { eventually } from '../test-api';
import { sleep } from './built-api';
import { decidedTargets, decisionEventsPerGateway, deployToAll, InstallingFleet, json, useRolloutFault } from './rollout-fault';

const GATEWAYS = 200;
const TIMEOUT_S = 30;

// The broker dies (SIGKILL) right after a deployment to 200 gateways and comes back 3 s later:
// every target is decided exactly once, nothing stays pending past its time-out, and
// /api/health says the broker is down meanwhile.
describe('fault: the broker is SIGKILLed in the middle of a rollout to 200 gateways', () => {
  const fault = useRolloutFault('um-fault-broker', TIMEOUT_S);

  it('decides every target exactly once and tells the truth about its health', async () => {
    const { api, services } = fault;
    const fleet = (fault.fleet = new InstallingFleet(services, `gw-${fault.name}`, GATEWAYS));
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
    const perGateway = await decisionEventsPerGateway(services.env(fault.name)['MONGO_URL'], deploymentId);
    expect([...perGateway.values()].filter((count) => count !== 1)).toEqual([]);
    expect(perGateway.size).toBe(GATEWAYS);
    // The targets can all be decided (failed publishes) before the API's clients are back: health turns 200 once they are.
    await eventually(async () => expect((await fetch(`${api.baseUrl}/api/health`)).status).toBe(200), { timeoutMs: 30_000, intervalMs: 500 });
    const confirmed = statuses.filter((status) => status === 'confirmed').length;
    process.stdout.write(
      `\nBroker SIGKILL mid-rollout: ${GATEWAYS} targets, ${fleet.installed.size} Upgrades received, ${confirmed} confirmed, ` +
        `${GATEWAYS - confirmed} failed by the time-out, none pending, each decided once with one event\n`,
    );
  });
});

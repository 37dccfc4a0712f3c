import { decidedTargets, decisionEventsPerGateway, deployToAll, followingRollout, InstallingFleet, useRolloutFault } from './rollout-fault';

const GATEWAYS = 200;
const TIMEOUT_S = 30;
const sample = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}`;

// The API dies (SIGKILL) as soon as it answers a deployment to 200 gateways: its targets are
// recorded, their Upgrades being published and, for the fastest gateways, already confirmed by
// a Status. Started again, it decides every target exactly once (confirmed by a Status, or failed
// at its time-out): nothing stays pending, nothing is decided twice.
describe('fault: the API is SIGKILLed between recording a rollout and publishing it', () => {
  const fault = useRolloutFault('um-fault-apikill', TIMEOUT_S);

  it('decides every target exactly once after a restart', async () => {
    const { api, services } = fault;
    const fleet = (fault.fleet = new InstallingFleet(services, `gw-${fault.name}`, GATEWAYS));
    await fleet.start(api, '0.5');
    const version = '1.1';
    const deploymentId = await deployToAll(api, version);
    await api.stop('SIGKILL');
    const installedBeforeRestart = fleet.installed.size;
    await api.start();

    const targets = await decidedTargets(api, deploymentId, (TIMEOUT_S + 60) * 1000);
    expect(targets).toHaveLength(GATEWAYS);
    expect(targets.filter((target) => target.status === 'pending')).toEqual([]);

    // The deployment's rollout counts what the deployment decided, and finishes.
    const confirmedTargets = targets.filter((target) => target.status === 'confirmed').length;
    expect(await followingRollout(api, deploymentId, 30_000)).toMatchObject({
      state: 'finished',
      counts: { pending: 0, confirmed: confirmedTargets, failed: GATEWAYS - confirmedTargets },
    });

    // Never twice: at most one confirmed-or-failed event per gateway.
    const perGateway = await decisionEventsPerGateway(services.env(fault.name)['MONGO_URL'], deploymentId);
    expect([...perGateway.entries()].filter(([, count]) => count > 1)).toEqual([]);
    expect((await fetch(`${api.baseUrl}/api/health`)).status).toBe(200);

    // Nothing lost: every decision has its event (the event is the decision), and no Status the
    // broker acknowledged is lost (acknowledged only once written), so its target is confirmed.
    const withoutEvent = targets.filter((target) => !perGateway.has(target.gatewayId)).map((target) => target.gatewayId);
    const statusLost = targets
      .filter((target) => target.status !== 'confirmed' && fleet.reported.get(target.gatewayId) === version)
      .map((target) => target.gatewayId);
    const confirmed = targets.filter((target) => target.status === 'confirmed').length;
    process.stdout.write(
      `\nAPI SIGKILL after recording a rollout: ${GATEWAYS} targets, ${installedBeforeRestart} Upgrades received before the restart ` +
        `(${fleet.installed.size} in all), ${fleet.reported.size} Statuses of ${version} acknowledged by the broker; ` +
        `${confirmed} confirmed, ${GATEWAYS - confirmed} failed by the time-out, none pending, none decided twice; ` +
        `${perGateway.size} of ${GATEWAYS} decisions have their event\n`,
    );
    if (withoutEvent.length > 0) process.stdout.write(`decisions without an event: ${withoutEvent.length}: ${sample(withoutEvent)}\n`);
    if (statusLost.length > 0) process.stdout.write(`acknowledged Statuses of ${version} lost: ${statusLost.length}: ${sample(statusLost)}\n`);
    expect(withoutEvent).toEqual([]);
    expect(statusLost).toEqual([]);
  });
});

import { encodeFrame, latestVersionPayload } from '@upgrade-manager/frame-codec';
import { decodeGatewayMessage, type GatewayMessage, type StatusInput } from '@upgrade-manager/gateway-client';
import { SimulatedGateway, type GatewayTransport, type SimEvent, type SimulatedGatewayOptions } from './simulated-gateway';

type Sent = ['status', StatusInput] | ['latest'] | ['available'] | ['upgrade', string];

class FakeTransport implements GatewayTransport {
  readonly sent: Sent[] = [];
  failNext = false;

  private record(entry: Sent): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('broker gone'));
    }
    this.sent.push(entry);
    return Promise.resolve();
  }

  sendStatus(status: StatusInput) {
    return this.record(['status', status]);
  }
  requestLatestVersion() {
    return this.record(['latest']);
  }
  requestAvailableVersions() {
    return this.record(['available']);
  }
  requestUpgrade(version: string) {
    return this.record(['upgrade', version]);
  }

  take(): Sent[] {
    return this.sent.splice(0);
  }
}

function received(topic: string, payload: Buffer | string): GatewayMessage {
  const decoded = decodeGatewayMessage(topic, encodeFrame(payload));
  if (!decoded?.ok) throw new Error(`bad test message on ${topic}`);
  return decoded.message;
}
const latest = (version: string) => received('TOGATEWAY/LATEST_VERSION', latestVersionPayload(version));
const download = (content: Buffer | string) => received('TOGATEWAY/DOWNLOAD_UPGRADE/gw-1', content);
const upgrade = (content: Buffer | string) => received('TOGATEWAY/UPGRADE/gw-1', content);
const binary = (seed: number) => Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 31 + seed) % 256).map((b) => (b === 0x0a ? 0 : b)));

const START = Date.UTC(2025, 0, 1);

function setup(options: Partial<SimulatedGatewayOptions> = {}) {
  const transport = new FakeTransport();
  const events: SimEvent[] = [];
  const gateway = new SimulatedGateway(
    transport,
    { gatewayId: 'gw-1', companyId: '2', version: '0.5', intervalMs: 60_000, upgradeDelayMs: 0, failRate: 0, now: () => Date.now(), ...options },
    (event) => events.push(event),
  );
  return { transport, events, gateway };
}

// Lets the promise chains of sends and installations run.
const settle = () => jest.advanceTimersByTimeAsync(0);

describe('SimulatedGateway', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: START });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends Status and both requests at start, then the requests every interval', async () => {
    const { transport, gateway, events } = setup();
    await gateway.start();
    expect(transport.take()).toEqual([['status', { companyId: '2', version: '0.5', timestamp: START }], ['latest'], ['available']]);
    expect(events.filter((event) => event.kind === 'sent')).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(transport.take()).toEqual([['latest'], ['available']]);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(transport.take()).toHaveLength(4);
    gateway.stop();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(transport.take()).toEqual([]);
  });

  it('requests the content of a newer latest version once, again only after an interval without it', async () => {
    const { transport, gateway } = setup();
    gateway.handle(latest('0.5'));
    gateway.handle(latest('0.4'));
    await settle();
    expect(transport.take()).toEqual([]);

    gateway.handle(latest('1.10'));
    gateway.handle(latest('1.10'));
    await settle();
    expect(transport.take()).toEqual([['upgrade', '1.10']]);
    await jest.advanceTimersByTimeAsync(60_000);
    gateway.handle(latest('1.10'));
    await settle();
    expect(transport.take()).toEqual([['upgrade', '1.10']]);

    gateway.handle(download(binary(1)));
    await jest.advanceTimersByTimeAsync(60_000);
    gateway.handle(latest('1.10'));
    await settle();
    expect(transport.take()).toEqual([]);
    expect(gateway.state).toMatchObject({ version: '0.5', latestVersion: '1.10', downloadedVersions: ['1.10'] });
  });

  it('records downloads under the version of the content, else of the request', async () => {
    const { gateway, events } = setup();
    gateway.handle(download('2.0\n'));
    gateway.handle(latest('1.2'));
    gateway.handle(download(binary(2)));
    expect(events.filter((event) => event.kind === 'downloaded')).toEqual([
      { kind: 'downloaded', gatewayId: 'gw-1', version: '2.0', size: 4 },
      { kind: 'downloaded', gatewayId: 'gw-1', version: '1.2', size: 64 },
    ]);
    expect(gateway.state.downloadedVersions).toEqual(['2.0', '1.2']);
  });

  it('on Upgrade installs the version of the content after the delay and reports it', async () => {
    const { transport, gateway, events } = setup({ upgradeDelayMs: 500 });
    gateway.handle(upgrade('1.2'));
    await jest.advanceTimersByTimeAsync(499);
    expect(transport.take()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(transport.take()).toEqual([['status', { companyId: '2', version: '1.2', timestamp: START + 500 }]]);
    expect(events).toContainEqual({ kind: 'upgraded', gatewayId: 'gw-1', from: '0.5', to: '1.2' });
    expect(gateway.state.version).toBe('1.2');
  });

  it('takes the version of binary content from a matching download, else the latest announced', async () => {
    const { transport, gateway } = setup();
    gateway.handle(latest('3.0'));
    gateway.handle(download(binary(3)));
    gateway.handle(latest('4.0'));
    transport.take();
    gateway.handle(upgrade(binary(3)));
    await gateway.idle();
    expect(transport.take()).toEqual([['status', expect.objectContaining({ version: '3.0' })]]);
    gateway.handle(upgrade(binary(4)));
    await gateway.idle();
    expect(transport.take()).toEqual([['status', expect.objectContaining({ version: '4.0' })]]);
  });

  it('with the fail rate, reports the old version and last upgrade time instead', async () => {
    const rolls = [0.1, 0.9];
    const { transport, gateway, events } = setup({ failRate: 0.5, random: () => rolls.shift() ?? 1 });
    gateway.handle(upgrade('1.2'));
    await gateway.idle();
    expect(transport.take()).toEqual([['status', { companyId: '2', version: '0.5', timestamp: START }]]);
    expect(events).toContainEqual({ kind: 'upgradeFailed', gatewayId: 'gw-1', attempted: '1.2', reported: '0.5' });
    gateway.handle(upgrade('1.2'));
    await gateway.idle();
    expect(transport.take()).toEqual([['status', { companyId: '2', version: '1.2', timestamp: START }]]);
  });

  it('installs one Upgrade after the other', async () => {
    const { transport, gateway } = setup({ upgradeDelayMs: 100 });
    gateway.handle(upgrade('1.0'));
    gateway.handle(upgrade('2.0'));
    await jest.advanceTimersByTimeAsync(100);
    expect(transport.take().map((sent) => sent[1])).toEqual([expect.objectContaining({ version: '1.0' })]);
    await jest.advanceTimersByTimeAsync(100);
    expect(transport.take().map((sent) => sent[1])).toEqual([expect.objectContaining({ version: '2.0' })]);
  });

  it('stop() cancels a pending installation and ignores further messages', async () => {
    const { transport, gateway } = setup({ upgradeDelayMs: 1000 });
    gateway.handle(upgrade('1.0'));
    await settle();
    gateway.stop();
    await gateway.idle();
    gateway.handle(latest('9.0'));
    await jest.advanceTimersByTimeAsync(5000);
    expect(transport.take()).toEqual([]);
    expect(gateway.state.version).toBe('0.5');
  });

  it('reports a failed send as an event, never throws', async () => {
    const { transport, gateway, events } = setup();
    transport.failNext = true;
    await expect(gateway.start()).resolves.toBeUndefined();
    expect(events).toContainEqual({ kind: 'sendFailed', gatewayId: 'gw-1', type: 'STATUS', error: 'broker gone' });
    gateway.stop();
  });
});

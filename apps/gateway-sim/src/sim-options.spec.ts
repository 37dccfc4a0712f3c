import { buildProgram, resolveSimOptions, type SimFlags } from './sim-options';

const ENV = { MQTT_URL: 'mqtt://127.0.0.1:1883', MQTT_GATEWAY_USERNAME: 'gateway', MQTT_GATEWAY_PASSWORD: 'pw' };
const ROOT = '/repo';
const hasDevCa = (path: string) => path === '/repo/certs/out/ca.crt';

function parse(args: string[]): { gatewayId: string; companyId: string; flags: SimFlags } {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program.parse(args, { from: 'user' });
  const [gatewayId = '', companyId = ''] = program.args;
  return { gatewayId, companyId, flags: program.opts<SimFlags>() };
}

function resolveArgs(args: string[], env: Record<string, string> = ENV, exists: (path: string) => boolean = () => false) {
  const { gatewayId, companyId, flags } = parse(args);
  return resolveSimOptions(gatewayId, companyId, flags, env, ROOT, exists);
}

describe('sim options', () => {
  it('defaults to one gateway at 0.5 on the TLS listener verified against the CA, with the gateway account and a persistent session', () => {
    expect(resolveArgs(['gw-1', '2'], ENV, hasDevCa)).toEqual({
      gatewayId: 'gw-1',
      companyId: '2',
      count: null,
      url: 'mqtts://localhost:8883',
      username: 'gateway',
      password: 'pw',
      caFile: '/repo/certs/out/ca.crt',
      rejectUnauthorized: true,
      clean: false,
      version: '0.5',
      intervalMs: 60_000,
      upgradeDelayMs: 0,
      failRate: 0,
      concurrency: 100,
      connectTimeoutMs: 30_000,
      protocol: 1,
      stateDir: '/repo/.data/gateway-sim',
      trustedKeyFile: undefined,
      exitAfterBytes: null,
      dropRate: 0,
    });
  });

  it('reads the protocol 2 flags', () => {
    const exists = (path: string) => path === '/keys/trusted' || hasDevCa(path);
    const options = resolveArgs(
      ['gw-1', '2', '--protocol', '2', '--state-dir', '/var/sim', '--trusted-key', '/keys/trusted', '--exit-after-bytes', '1000', '--drop-rate', '0.2'],
      ENV,
      exists,
    );
    expect(options).toMatchObject({ protocol: 2, stateDir: '/var/sim', trustedKeyFile: '/keys/trusted', exitAfterBytes: 1000, dropRate: 0.2 });
  });

  it.each([
    [['--protocol', '3'], /--protocol must be 1 or 2/],
    [['--protocol', '2'], /needs --trusted-key/],
    [['--drop-rate', '0.5'], /apply to --protocol 2 only/],
    [['--protocol', '2', '--trusted-key', '/keys/trusted', '--drop-rate', '1'], /--drop-rate must be/],
    [['--protocol', '2', '--trusted-key', '/keys/trusted', '--exit-after-bytes', '0'], /--exit-after-bytes must be/],
    [['--protocol', '2', '--trusted-key', '/nowhere'], /trusted keys file \/nowhere not found/],
  ])('refuses %j', (flags, message) => {
    expect(() => resolveArgs(['gw-1', '2', ...flags], ENV, (path) => path === '/keys/trusted' || hasDevCa(path))).toThrow(message);
  });

  it('reads every flag', () => {
    const options = resolveArgs(
      [
        'sim',
        '3',
        '--count',
        '50',
        '--url',
        'mqtts://broker:8883',
        '--username',
        'u',
        '--password',
        'p',
        '--ca',
        '/x/ca.crt',
        '--clean',
        '--version',
        '1.2',
        '--interval',
        '0.5',
        '--upgrade-delay',
        '250',
        '--fail-rate',
        '0.25',
        '--concurrency',
        '10',
        '--connect-timeout',
        '5',
      ],
      ENV,
      (path) => path === '/x/ca.crt',
    );
    expect(options).toMatchObject({
      gatewayId: 'sim',
      companyId: '3',
      count: 50,
      url: 'mqtts://broker:8883',
      username: 'u',
      password: 'p',
      caFile: '/x/ca.crt',
      clean: true,
      version: '1.2',
      intervalMs: 500,
      upgradeDelayMs: 250,
      failRate: 0.25,
      concurrency: 10,
      connectTimeoutMs: 5000,
    });
  });

  it('--insecure means the plain loopback listener without TLS verification', () => {
    expect(resolveArgs(['gw', '2', '--insecure'], { ...ENV, MQTT_URL: 'mqtts://localhost:8883' })).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      rejectUnauthorized: false,
      caFile: undefined,
    });
  });

  it('--tls uses the TLS port and the development CA', () => {
    expect(resolveArgs(['gw', '2', '--tls'], { ...ENV, MQTT_TLS_PORT: '18883' }, hasDevCa)).toMatchObject({
      url: 'mqtts://localhost:18883',
      caFile: '/repo/certs/out/ca.crt',
      rejectUnauthorized: true,
    });
  });

  it('verifies a TLS URL against the development CA when it exists', () => {
    expect(resolveArgs(['gw', '2', '--url', 'mqtts://localhost:8883'], ENV, hasDevCa).caFile).toBe('/repo/certs/out/ca.crt');
    expect(resolveArgs(['gw', '2', '--url', 'mqtts://localhost:8883']).caFile).toBeUndefined();
  });

  it('says how to get the CA file when the one to verify against is missing', () => {
    expect(() => resolveArgs(['gw', '2'])).toThrow(/CA file \/repo\/certs\/out\/ca.crt not found: `npm run services:start`/);
    expect(() => resolveArgs(['gw', '2', '--ca', '/nowhere/ca.crt'], ENV, hasDevCa)).toThrow(/CA file \/nowhere\/ca.crt not found/);
  });

  it.each([
    [['gw', '2', '--count', '0'], /--count must be an integer/],
    [['gw', '2', '--count', 'x'], /--count/],
    [['gw', '2', '--fail-rate', '1.5'], /--fail-rate must be a number in 0..1/],
    [['gw', '2', '--interval', '0'], /--interval/],
    [['gw', '2', '--upgrade-delay', '-1'], /--upgrade-delay/],
    [['gw', '2', '--version', 'v1'], /--version must be a dotted number/],
    [['a/b', '2'], /invalid gatewayId/],
    [['gw', ' '], /companyId/],
    [['gw', '2', '--insecure', '--tls'], /exclude each other/],
  ])('rejects %j', (args, message) => {
    expect(() => resolveArgs(args)).toThrow(message);
  });

  it('needs both arguments', () => {
    expect(() => parse(['gw'])).toThrow(/missing required argument/);
  });
});

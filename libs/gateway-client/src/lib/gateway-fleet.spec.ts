import { ErrorWithReasonCode } from 'mqtt';
import { fakeConnect } from '../../test/fake-mqtt';
import { GatewayFleet, fleetGatewayIds } from './gateway-fleet';

describe('fleetGatewayIds', () => {
  it('numbers from 1', () => {
    expect(fleetGatewayIds('sim', 3)).toEqual(['sim-1', 'sim-2', 'sim-3']);
    expect(() => fleetGatewayIds('sim', 0)).toThrow(RangeError);
  });
});

describe('GatewayFleet', () => {
  it('connects every client with bounded concurrency and counts the connected ones', async () => {
    let pending = 0;
    let peak = 0;
    const fake = fakeConnect((mqtt) => {
      pending++;
      peak = Math.max(peak, pending);
      setImmediate(() => {
        pending--;
        if (mqtt.options.clientId === 'f-3') mqtt.emit('error', new ErrorWithReasonCode('Connection refused: Not authorized', 5));
        else mqtt.acceptConnection();
      });
    });
    const fleet = new GatewayFleet({
      gatewayIds: fleetGatewayIds('f', 25),
      client: { url: 'mqtt://127.0.0.1:1883', companyId: '2', reconnectPeriod: 1000 },
      concurrency: 4,
      random: () => 0.5,
      connectFn: fake.connect,
    });
    const failed = jest.fn();
    fleet.on('clientFailed', failed);
    const result = await fleet.start();
    expect(peak).toBe(4);
    expect(result.connected).toBe(24);
    expect(result.failed.map((failure) => failure.gatewayId)).toEqual(['f-3']);
    expect(failed).toHaveBeenCalledTimes(1);
    expect(fleet.connectedCount).toBe(24);
    expect(fake.clients.map((mqtt) => mqtt.options.reconnectPeriod)).toEqual(Array(25).fill(1250));
    expect(fleet.get('f-7')?.gatewayId).toBe('f-7');

    fake.clients[0]?.emit('offline');
    expect(fleet.connectedCount).toBe(23);
    fake.clients[0]?.acceptConnection();
    expect(fleet.connectedCount).toBe(24);

    await fleet.close();
    expect(fleet.connectedCount).toBe(0);
    expect(fake.clients.every((mqtt) => mqtt.ended)).toBe(true);
  });

  it('refuses duplicate ids', () => {
    expect(() => new GatewayFleet({ gatewayIds: ['a', 'a'], client: { url: 'mqtt://x' } })).toThrow(/duplicate/);
  });
});

import { z } from 'zod';
import type { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import type { FramePublisher } from '../mqtt/frame-publisher.service';
import type { InternalMessageHandler, RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { ClusterBus } from './cluster-bus.service';

const PREFIX = 'upgrade-manager/cluster/um';

// The broker's side in memory: what the bus publishes is kept, and handed back with `deliver`.
function busOnBroker(instanceId = 'api-1') {
  const published: { topic: string; payload: Buffer }[] = [];
  let handler: InternalMessageHandler | null = null;
  const config = { get: (name: string) => ({ MQTT_CLIENT_ID: 'um', API_INSTANCE_ID: instanceId, PORT: 5001 })[name] } as unknown as AppConfigService;
  const publisher = { publish: async (topic: string, payload: Buffer) => void published.push({ topic, payload }) } as unknown as FramePublisher;
  const subscriber = { setInternalHandler: (h: InternalMessageHandler) => (handler = h) } as unknown as RawFrameMqttServer;
  const metrics = new MetricsService();
  const bus = new ClusterBus(config, publisher, subscriber, metrics);
  bus.onModuleInit();
  const deliver = (topic: string, payload: Buffer) => (handler as InternalMessageHandler)(topic, payload);
  const refused = async () => (await metrics.registry.getSingleMetric('um_cluster_messages_refused_total')?.get())?.values[0]?.value ?? 0;
  return { bus, published, deliver, refused };
}

describe('ClusterBus', () => {
  const schema = z.object({ n: z.number().int() });

  afterEach(() => jest.restoreAllMocks());

  it('hands its own message back to its handler as published, without checking it again', async () => {
    const { bus, published, deliver } = busOnBroker();
    const check = jest.spyOn(schema, 'safeParse');
    const handled: unknown[] = [];
    bus.on('count', schema, (body, origin) => void handled.push({ body, origin }));
    const body = { n: 1 };
    await bus.publish('count', body, 0);
    expect(JSON.parse(published[0].payload.toString())).toEqual({ origin: 'api-1', body: { n: 1 } });
    await deliver(published[0].topic, Buffer.from(published[0].payload));
    expect(handled).toEqual([{ body, origin: 'api-1' }]);
    expect((handled[0] as { body: unknown }).body).toBe(body);
    expect(check).not.toHaveBeenCalled();
  });

  it('writes a body given as JSON as it is', async () => {
    const { bus, published } = busOnBroker();
    await bus.publish('count', { n: 2 }, 0, '{"n":2}');
    expect(published[0].payload.toString()).toBe('{"origin":"api-1","body":{"n":2}}');
  });

  it('checks whatever else claims to come from this process: other bytes, or its bytes on another kind', async () => {
    const { bus, published, deliver, refused } = busOnBroker();
    const handled: unknown[] = [];
    bus.on('count', schema, (body) => void handled.push(body));
    bus.on('other', z.object({ m: z.string() }), (body) => void handled.push(body));
    await bus.publish('count', { n: 3 }, 0);
    // Same origin, another body: parsed and refused by the schema.
    await deliver(`${PREFIX}/count`, Buffer.from('{"origin":"api-1","body":{"n":"three"}}'));
    // This process's bytes replayed under another kind: that kind's schema decides.
    await deliver(`${PREFIX}/other`, published[0].payload);
    expect(handled).toEqual([]);
    expect(await refused()).toBe(2);
    // The genuine one is still recognised, once.
    await deliver(published[0].topic, published[0].payload);
    await deliver(published[0].topic, published[0].payload);
    expect(handled).toEqual([{ n: 3 }, { n: 3 }]);
  });

  it('parses and checks another process’s messages', async () => {
    const { bus, deliver, refused } = busOnBroker();
    const handled: unknown[] = [];
    bus.on('count', schema, (body, origin) => void handled.push({ body, origin }));
    await deliver(`${PREFIX}/count`, Buffer.from('{"origin":"api-2","body":{"n":4,"extra":true}}'));
    await deliver(`${PREFIX}/count`, Buffer.from('{"origin":"api-2","body":{"n":4.5}}'));
    await deliver(`${PREFIX}/count`, Buffer.from('not json'));
    expect(handled).toEqual([{ body: { n: 4 }, origin: 'api-2' }]);
    expect(await refused()).toBe(2);
  });

  it('forgets its own messages that never came back, beyond a bounded number', async () => {
    const { bus, published, deliver } = busOnBroker();
    const check = jest.spyOn(schema, 'safeParse');
    bus.on('count', schema, () => undefined);
    for (let n = 0; n < 200; n += 1) await bus.publish('count', { n }, 0);
    // The oldest were dropped (lost on the way, say): if they arrive after all, they are checked.
    await deliver(published[0].topic, published[0].payload);
    expect(check).toHaveBeenCalledTimes(1);
    await deliver(published[199].topic, published[199].payload);
    expect(check).toHaveBeenCalledTimes(1);
  });
});

import type { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { DROPPABLE_QUEUE_MAX, FramePublisher } from './frame-publisher.service';

describe('FramePublisher', () => {
  it('drops (and counts) droppable frames once DROPPABLE_QUEUE_MAX wait, never the others', async () => {
    const metrics = new MetricsService();
    const publisher = new FramePublisher({} as AppConfigService, metrics);
    const pending: Array<() => void> = [];
    // A broker that takes nothing: every frame waits for the budget.
    Object.assign(publisher, { client: { publishAsync: () => new Promise<void>((resolve) => pending.push(resolve)) } });
    const large = Buffer.alloc(8 * 1024 * 1024);
    const inFlight = publisher.publish('TOGATEWAY/UPGRADE/gw-0', large);
    // Other frames than the one in flight: each waits for its bytes.
    const waiting = Array.from({ length: DROPPABLE_QUEUE_MAX }, (_, index) =>
      publisher.publish(`TOGATEWAY/DOWNLOAD_UPGRADE/gw-${index}`, Buffer.alloc(1), { droppable: true }),
    );
    expect(await publisher.publish('TOGATEWAY/DOWNLOAD_UPGRADE/gw-x', Buffer.alloc(1), { droppable: true })).toBe(false);
    const upgrade = publisher.publish('TOGATEWAY/UPGRADE/gw-y', Buffer.alloc(1));
    expect(await metrics.registry.getSingleMetricAsString('um_outgoing_frames_dropped_total')).toContain('um_outgoing_frames_dropped_total 1');

    while (pending.length > 0 || waiting.length > 0) {
      pending.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
      if (pending.length === 0) break;
    }
    expect(await inFlight).toBe(true);
    expect(await Promise.all(waiting)).toEqual(waiting.map(() => true));
    expect(await upgrade).toBe(true);
  });

  it('lets publishes of a frame already in flight go at once: they share its Buffer', async () => {
    const publisher = new FramePublisher({} as AppConfigService, new MetricsService());
    const published: Buffer[] = [];
    const pending: Array<() => void> = [];
    Object.assign(publisher, {
      client: {
        publishAsync: (_topic: string, frame: Buffer) => {
          published.push(frame);
          return new Promise<void>((resolve) => pending.push(resolve));
        },
      },
    });
    const frame = Buffer.alloc(8 * 1024 * 1024);
    const all = Array.from({ length: 100 }, (_, index) => publisher.publish(`TOGATEWAY/UPGRADE/gw-${index}`, frame));
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(100);
    expect(published.every((sent) => sent === frame)).toBe(true);
    const other = publisher.publish('TOGATEWAY/UPGRADE/gw-other', Buffer.alloc(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(100);
    pending.splice(0).forEach((resolve) => resolve());
    expect(await Promise.all(all)).toEqual(all.map(() => true));
    await new Promise((resolve) => setImmediate(resolve));
    pending.splice(0).forEach((resolve) => resolve());
    expect(await other).toBe(true);
  });
});

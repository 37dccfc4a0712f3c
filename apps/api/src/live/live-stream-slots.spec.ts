import { MetricsService } from '../metrics/metrics.service';
import { LiveStreamSlots, MAX_STREAMS_PER_PROCESS, MAX_STREAMS_PER_USER, type StreamSlot } from './live-stream-slots';

function released(slot: StreamSlot): () => void {
  if ('refused' in slot) throw new Error(`refused: ${slot.refused}`);
  return slot.release;
}

describe('LiveStreamSlots', () => {
  let metrics: MetricsService;
  let slots: LiveStreamSlots;

  beforeEach(() => {
    metrics = new MetricsService();
    slots = new LiveStreamSlots(metrics);
  });

  it('gives each user at most MAX_STREAMS_PER_USER slots and takes a released one back once', async () => {
    const releases = Array.from({ length: MAX_STREAMS_PER_USER }, () => released(slots.take('u1')));
    expect(slots.take('u1')).toEqual({ refused: 'per-user' });
    released(slots.take('u2'));
    releases[0]?.();
    releases[0]?.();
    released(slots.take('u1'));
    expect(slots.take('u1')).toEqual({ refused: 'per-user' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('um_live_streams_refused_total{reason="per-user"} 2');
    expect(text).toContain(`um_live_streams_open ${MAX_STREAMS_PER_USER + 1}`);
  });

  it('gives the process at most MAX_STREAMS_PER_PROCESS slots, whoever asks', async () => {
    const releases = Array.from({ length: MAX_STREAMS_PER_PROCESS }, (_, index) => released(slots.take(`u${index}`)));
    expect(slots.take('another')).toEqual({ refused: 'per-process' });
    releases[7]?.();
    released(slots.take('another'));
    expect(await metrics.registry.metrics()).toContain('um_live_streams_refused_total{reason="per-process"} 1');
  });
});

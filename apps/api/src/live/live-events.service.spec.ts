import { LIVE_BATCH_BYTES, LIVE_EVENTS_PER_MESSAGE, liveBatches, type LiveEvent } from './live-events.service';

// Events of any size: batching does not look at their type.
function event(index: number, paddingBytes = 0): LiveEvent {
  return { type: 'test.padded', companyId: '2', data: { index, padding: 'x'.repeat(paddingBytes) } } as unknown as LiveEvent;
}

describe('liveBatches', () => {
  it('cuts small events by count, in order', () => {
    const events = Array.from({ length: LIVE_EVENTS_PER_MESSAGE * 2 + 3 }, (_, index) => event(index));
    const batches = liveBatches(events);
    expect(batches.map((batch) => batch.events.length)).toEqual([LIVE_EVENTS_PER_MESSAGE, LIVE_EVENTS_PER_MESSAGE, 3]);
    expect(batches.flatMap((batch) => batch.events)).toEqual(events);
  });

  it('cuts large events by bytes, so a batch stays within the bus limit', () => {
    const events = Array.from({ length: 100 }, (_, index) => event(index, 4000));
    const batches = liveBatches(events);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(Buffer.byteLength(JSON.stringify({ events: batch.events }))).toBeLessThanOrEqual(LIVE_BATCH_BYTES + 100);
    expect(batches.flatMap((batch) => batch.events)).toEqual(events);
  });

  it('sends an event larger than a batch alone', () => {
    const events = [event(0), event(1, LIVE_BATCH_BYTES), event(2)];
    expect(liveBatches(events).map((batch) => batch.events.length)).toEqual([1, 1, 1]);
  });

  it('gives each batch its events’ JSON, written once: the array’s JSON without its brackets', () => {
    const events = Array.from({ length: LIVE_EVENTS_PER_MESSAGE + 1 }, (_, index) => event(index, index % 7));
    for (const batch of liveBatches(events)) expect(`[${batch.json}]`).toBe(JSON.stringify(batch.events));
  });
});

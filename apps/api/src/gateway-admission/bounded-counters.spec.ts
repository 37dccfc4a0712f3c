import { BoundedCounters, type CounterCollection, type CounterDocument } from './bounded-counters';
import { windowKey } from './bounded-counters';

describe('windowKey', () => {
  it('is the same within a window and sorts by time across windows', () => {
    const minute = 60_000;
    const start = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));
    expect(windowKey('gateways', new Date(start.getTime() + 59_999), minute)).toBe(windowKey('gateways', start, minute));
    const next = windowKey('gateways', new Date(start.getTime() + minute), minute);
    expect(next > windowKey('gateways', start, minute)).toBe(true);
    expect(next.startsWith('gateways:')).toBe(true);
  });
});

describe('BoundedCounters.takeMany', () => {
  const duplicateKey = Object.assign(new Error('E11000 duplicate key'), { code: 11000 });

  function collection(answers: (CounterDocument | Error)[]): CounterCollection & { calls: () => number } {
    let calls = 0;
    return {
      calls: () => calls,
      updateOne: async () => undefined,
      deleteMany: async () => undefined,
      findOneAndUpdate: async (): Promise<CounterDocument | null> => {
        const answer = answers[calls++];
        if (answer instanceof Error) throw answer;
        return answer ?? null;
      },
    };
  }

  it('tries again when another taker created the counter first', async () => {
    const stub = collection([duplicateKey, { _id: 'k', count: 3 }]);
    expect(await new BoundedCounters(stub).takeMany('k', 2, 10)).toBe(true);
    expect(stub.calls()).toBe(2);
  });

  it('is refused when the counter is full on the second attempt too', async () => {
    const stub = collection([duplicateKey, duplicateKey, { _id: 'k', count: 1 }]);
    expect(await new BoundedCounters(stub).takeMany('k', 2, 10)).toBe(false);
    expect(stub.calls()).toBe(2);
  });
});

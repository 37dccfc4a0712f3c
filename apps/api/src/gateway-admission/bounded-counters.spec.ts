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

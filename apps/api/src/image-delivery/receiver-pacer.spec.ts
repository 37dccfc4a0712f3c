import { ReceiverPacer, type ReceiverReport } from './receiver-pacer';

const KIB = 1024;
const options = { stallMs: 10_000, budgetBytes: 100 * KIB, minWindowBytes: 10 * KIB, maxWindowBytes: 40 * KIB };
const downloading = (gatewayId: string, bytes: number): ReceiverReport => ({ gatewayId, state: 'downloading', bytes });

describe('ReceiverPacer', () => {
  it('shares its budget among the targets, within the bounds of a window', () => {
    const pacer = new ReceiverPacer(options);
    expect(pacer.windowBytes(1)).toBe(40 * KIB);
    expect(pacer.windowBytes(5)).toBe(20 * KIB);
    expect(pacer.windowBytes(1000)).toBe(10 * KIB);
  });

  it('lets the stream run a window ahead of the slowest listening target', () => {
    const pacer = new ReceiverPacer(options);
    expect(pacer.update([downloading('a', 0), downloading('b', 0), { gatewayId: 'c', state: 'offered', bytes: 0 }], 0, 0)).toBe(40 * KIB);
    expect(pacer.update([downloading('a', 30 * KIB), downloading('b', 12 * KIB)], 40 * KIB, 1000)).toBe(52 * KIB);
    // b is done with the stream (downloaded): only a counts.
    expect(pacer.update([downloading('a', 50 * KIB), { gatewayId: 'b', state: 'downloaded', bytes: 64 * KIB }], 52 * KIB, 2000)).toBe(90 * KIB);
    expect(pacer.waitingFor).toBe(1);
  });

  it('stops waiting for a target that stalls, and ends when nobody is left', () => {
    const pacer = new ReceiverPacer(options);
    pacer.update([downloading('a', 0), downloading('b', 0)], 0, 0);
    pacer.update([downloading('a', 20 * KIB), downloading('b', 5 * KIB)], 20 * KIB, 1_000);
    // b holds 5 KiB of the 40 sent and does not move for the stall time.
    expect(pacer.update([downloading('a', 40 * KIB), downloading('b', 5 * KIB)], 40 * KIB, 11_000)).toBe(80 * KIB);
    expect(pacer.waitingFor).toBe(1);
    // It never rejoins, even when it moves again.
    expect(pacer.update([downloading('a', 60 * KIB), downloading('b', 6 * KIB)], 60 * KIB, 12_000)).toBe(100 * KIB);
    expect(pacer.update([{ gatewayId: 'a', state: 'succeeded', bytes: 0 }, downloading('b', 7 * KIB)], 60 * KIB, 13_000)).toBeNull();
  });

  it('does not call a target stalled that holds everything sent so far', () => {
    const pacer = new ReceiverPacer(options);
    pacer.update([downloading('a', 0), downloading('b', 0)], 0, 0);
    expect(pacer.update([downloading('a', 20 * KIB), downloading('b', 1 * KIB)], 20 * KIB, 20_000)).toBe(21 * KIB + 20 * KIB);
    expect(pacer.waitingFor).toBe(2);
  });

  it('does not count the time the stream spent on its own reads as its targets stalling', () => {
    const pacer = new ReceiverPacer(options);
    pacer.update([downloading('a', 0), downloading('b', 0)], 0, 0);
    // The first chunk took a minute to read: both targets are behind only from now on.
    expect(pacer.update([downloading('a', 0), downloading('b', 0)], 1 * KIB, 60_000)).toBe(40 * KIB);
    expect(pacer.waitingFor).toBe(2);
    expect(pacer.update([downloading('a', 1 * KIB), downloading('b', 0)], 1 * KIB, 65_000)).toBe(40 * KIB);
    // b has not taken that chunk for the stall time: left to its requests.
    expect(pacer.update([downloading('a', 1 * KIB), downloading('b', 0)], 1 * KIB, 70_000)).toBe(41 * KIB);
    expect(pacer.waitingFor).toBe(1);
  });

  it('lets a late target join only while the stream is within its window', () => {
    const pacer = new ReceiverPacer(options);
    pacer.update([downloading('a', 0)], 0, 0);
    pacer.update([downloading('a', 100 * KIB), downloading('late', 0)], 100 * KIB, 1000);
    expect(pacer.waitingFor).toBe(1);
    pacer.update([downloading('a', 100 * KIB), downloading('near', 90 * KIB)], 100 * KIB, 2000);
    expect(pacer.waitingFor).toBe(2);
  });
});

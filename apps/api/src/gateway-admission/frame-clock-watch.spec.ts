import { FRAME_CLOCK_SKEW_MAX_S, frameAge } from './frame-clock-watch';

describe('frameAge', () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  const seconds = now / 1000;

  it('is current within the allowed skew either way, old or future beyond it', () => {
    expect(frameAge(seconds, now)).toBe('current');
    expect(frameAge(seconds - FRAME_CLOCK_SKEW_MAX_S, now)).toBe('current');
    expect(frameAge(seconds - FRAME_CLOCK_SKEW_MAX_S - 1, now)).toBe('old');
    expect(frameAge(seconds + FRAME_CLOCK_SKEW_MAX_S + 1, now)).toBe('future');
    expect(frameAge(0, now)).toBe('old');
  });
});

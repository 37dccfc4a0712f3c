import { isWindowOpen, localTime } from './maintenance-window';

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[];

describe('maintenance window', () => {
  it('reads the weekday and time of day in the time zone', () => {
    // Tuesday 2026-12-01 23:30 UTC is Wednesday 00:30 in Zurich.
    expect(localTime(new Date('2026-12-01T23:30:00Z'), 'Europe/Zurich')).toEqual({ day: 'wed', minutes: 30 });
    expect(localTime(new Date('2026-12-01T23:30:00Z'), 'America/New_York')).toEqual({ day: 'tue', minutes: 18 * 60 + 30 });
  });

  it('opens between from and to on the listed days', () => {
    const window = { days: weekdays, from: '09:00', to: '17:00', timeZone: 'UTC' };
    expect(isWindowOpen(window, new Date('2026-12-01T09:00:00Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2026-12-01T17:00:00Z'))).toBe(false);
    expect(isWindowOpen(window, new Date('2026-12-05T10:00:00Z'))).toBe(false);
    expect(isWindowOpen(null, new Date())).toBe(true);
  });

  it('spans midnight when from is after to: the early hours belong to the day the window opened', () => {
    const window = { days: ['fri'] as 'fri'[], from: '22:00', to: '05:00', timeZone: 'Europe/Zurich' };
    expect(isWindowOpen(window, new Date('2026-12-04T21:30:00Z'))).toBe(true); // Fri 22:30
    expect(isWindowOpen(window, new Date('2026-12-05T03:00:00Z'))).toBe(true); // Sat 04:00
    expect(isWindowOpen(window, new Date('2026-12-05T04:30:00Z'))).toBe(false); // Sat 05:30
    expect(isWindowOpen(window, new Date('2026-12-04T03:00:00Z'))).toBe(false); // Fri 04:00, opened Thursday
  });

  it('is the whole day when from equals to', () => {
    expect(isWindowOpen({ days: ['tue'], from: '00:00', to: '00:00', timeZone: 'UTC' }, new Date('2026-12-01T12:00:00Z'))).toBe(true);
  });
});

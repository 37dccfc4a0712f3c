import { RecountSchedule } from './recount-schedule';

describe('RecountSchedule', () => {
  it('is due once the counts stood still for 30 s with targets open, then waits twice as long', () => {
    const schedule = new RecountSchedule();
    expect(schedule.due('r', 3, 5, 0)).toBe(false);
    expect(schedule.due('r', 3, 5, 29_999)).toBe(false);
    expect(schedule.due('r', 3, 5, 30_000)).toBe(true);
    schedule.done('r', 4, 30_000);
    expect(schedule.due('r', 4, 5, 89_999)).toBe(false);
    expect(schedule.due('r', 4, 5, 90_000)).toBe(true);
  });

  it('starts over when the counts move, and is never due with nothing open', () => {
    const schedule = new RecountSchedule();
    schedule.due('r', 1, 5, 0);
    expect(schedule.due('r', 2, 5, 40_000)).toBe(false);
    expect(schedule.due('r', 2, 5, 69_999)).toBe(false);
    expect(schedule.due('r', 2, 0, 80_000)).toBe(false);
  });
});

import { WEEKDAYS, type Weekday } from '@upgrade-manager/dto';
import type { RolloutWindow } from './rollout.schema';

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

/** Weekday and minute of the day at `now` in an IANA time zone. */
export function localTime(now: Date, timeZone: string): { day: Weekday; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

function dayBefore(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + WEEKDAYS.length - 1) % WEEKDAYS.length];
}

/**
 * Whether new targets may start now. `from` > `to` spans midnight: the part after midnight
 * belongs to the day the window opened. `from` = `to` is the whole day.
 */
export function isWindowOpen(window: RolloutWindow | null, now: Date): boolean {
  if (!window) return true;
  const { day, minutes } = localTime(now, window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from === to) return window.days.includes(day);
  if (from < to) return window.days.includes(day) && minutes >= from && minutes < to;
  if (minutes >= from) return window.days.includes(day);
  return minutes < to && window.days.includes(dayBefore(day));
}

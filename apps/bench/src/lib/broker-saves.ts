import { statSync } from 'node:fs';

/** A measured phase, and when the broker's persistence database was written during it (if it was). */
export interface PhaseSave {
  label: string;
  savedAt: number;
}

/**
 * When the local broker last wrote its persistence database (every autosave_interval seconds, on
 * SIGUSR1 and at shutdown; it writes a new file and renames it), in ms since the epoch; null
 * without one (no persistence, or a broker that is not the local one). Read from the file, not
 * from the broker's log, which reaches its file late (stdout, block-buffered).
 */
export function lastBrokerSave(dbFile: string): number | null {
  try {
    return statSync(dbFile).mtimeMs;
  } catch {
    return null;
  }
}

/** True when a save read at the end of a phase falls within it (saves are autosave_interval apart, longer than a phase). */
export function savedDuring(savedAt: number | null, startedAt: number, endedAt: number): savedAt is number {
  return savedAt !== null && savedAt >= startedAt && savedAt <= endedAt;
}

/**
 * A note naming the measured phases during which the broker saved its database, or null. A save
 * writes every message the broker holds (up to N × S while a list rollout is in flight) and its
 * CPU counts in whichever phase it falls: that phase's broker CPU seconds are not comparable.
 */
export function brokerSavesNote(saves: readonly PhaseSave[]): string | null {
  if (saves.length === 0) return null;
  const phases = saves.map(({ label, savedAt }) => `${label} (${new Date(savedAt).toISOString().slice(11, 19)} UTC)`);
  return (
    `The broker saved its persistence database (autosave_interval) during: ${phases.join('; ')}. ` +
    "A save writes every message it holds (hundreds of MiB while a list rollout is in flight); its CPU counts in that phase's broker CPU seconds."
  );
}

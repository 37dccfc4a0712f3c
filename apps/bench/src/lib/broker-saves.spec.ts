import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerSavesNote, lastBrokerSave, savedDuring } from './broker-saves';

describe('lastBrokerSave', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'broker-saves-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is when the database file was last written, and null without one', () => {
    const file = join(dir, 'mosquitto.db');
    writeFileSync(file, 'db');
    const written = new Date('2026-12-02T13:35:37.250Z');
    utimesSync(file, written, written);
    expect(lastBrokerSave(file)).toBe(written.getTime());
    expect(lastBrokerSave(join(dir, 'missing.db'))).toBeNull();
  });
});

describe('savedDuring', () => {
  it('is true only for a save between the start and the end of the phase', () => {
    expect(savedDuring(1_500, 1_000, 2_000)).toBe(true);
    expect(savedDuring(999, 1_000, 2_000)).toBe(false);
    expect(savedDuring(2_001, 1_000, 2_000)).toBe(false);
    expect(savedDuring(null, 1_000, 2_000)).toBe(false);
  });
});

describe('brokerSavesNote', () => {
  it('names each phase with its save, and is null without one', () => {
    const note = brokerSavesNote([
      { label: 'raw rollout (broadcast)', savedAt: Date.parse('2026-12-02T13:34:36.400Z') },
      { label: 'product rollout (list)', savedAt: Date.parse('2026-12-02T13:35:37.100Z') },
    ]);
    expect(note).toContain('during: raw rollout (broadcast) (13:34:36 UTC); product rollout (list) (13:35:37 UTC).');
    expect(brokerSavesNote([])).toBeNull();
  });
});

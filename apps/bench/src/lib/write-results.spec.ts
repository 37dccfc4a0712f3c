import { resultFileStem } from './write-results';

describe('resultFileStem', () => {
  it('is the start time without colons or milliseconds', () => {
    expect(resultFileStem('2026-05-14T09:30:00.123Z')).toBe('2026-05-14T09-30-00Z');
  });
});

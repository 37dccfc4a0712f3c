import { rawElementTexts, rawMemberText } from './raw-json';

describe('rawMemberText', () => {
  it.each([
    ['{"version":1.0}', 'version', '1.0'],
    ['{ "a" : [1, {"version": 9.0}], "version" : 1.50 }', 'version', '1.50'],
    ['{"a":"}]\\"version\\":7","version":2.0}', 'version', '2.0'],
    ['{"version":1.0,"version":"x"}', 'version', '"x"'],
    ['{"v":{"version":1}}', 'version', undefined],
    ['{}', 'version', undefined],
    ['{"version":true,"next":null}', 'next', 'null'],
  ])('in %s finds %s = %p', (text, key, expected) => {
    expect(rawMemberText(text, key)).toBe(expected);
  });
});

describe('rawElementTexts', () => {
  it('returns each element as written', () => {
    expect(rawElementTexts('[ 1.0, "a,b", [2, 3], {"x": "]"}, -4e2 ]')).toEqual(['1.0', '"a,b"', '[2, 3]', '{"x": "]"}', '-4e2']);
    expect(rawElementTexts('[]')).toEqual([]);
  });
});

describe('raw text agrees with JSON.parse', () => {
  // Seeded so a failure can be replayed.
  let state = 42;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const value = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 2 ? 4 : 6));
    if (kind === 0) return Math.round(random() * 1e6) / 100;
    if (kind === 1) return pick(['', 'a"b', '}{', '\\', 'é', '"version":1.0']);
    if (kind === 2) return pick([true, false, null]);
    if (kind === 3) return -1 - Math.floor(random() * 100);
    if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(['a', 'version', 'b"c', 'x']), value(depth + 1)]));
  };

  it('for 500 random documents', () => {
    for (let i = 0; i < 500; i++) {
      const doc = { k: value(0), version: value(0), z: value(1) };
      const text = JSON.stringify(doc, null, pick([0, 1, '\t']));
      const raw = rawMemberText(text, 'version');
      expect(raw).toBeDefined();
      expect(JSON.parse(raw ?? '')).toEqual(doc.version);
      if (Array.isArray(doc.version)) {
        expect(rawElementTexts(raw ?? '').map((element) => JSON.parse(element) as unknown)).toEqual(doc.version);
      }
    }
  });
});

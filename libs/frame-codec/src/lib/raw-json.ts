// Reads the source text of JSON values, so a number literal such as `1.0` can be kept as written
// (JSON.parse turns it into 1). Callers must pass text that JSON.parse has already accepted.

const WHITESPACE = ' \t\n\r';
const LITERAL_END = ',]}' + WHITESPACE;

function skipWhitespace(text: string, index: number): number {
  let i = index;
  while (i < text.length && WHITESPACE.includes(text.charAt(i))) i++;
  return i;
}

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

/** Index just past the value that starts at `start`. */
function endOfValue(text: string, start: number): number {
  const first = text.charAt(start);
  if (first === '"') return endOfString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch === '"') {
        i = endOfString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      if (ch === '}' || ch === ']') depth--;
      i++;
      if (depth === 0) return i;
    }
    return i;
  }
  let i = start;
  while (i < text.length && !LITERAL_END.includes(text.charAt(i))) i++;
  return i;
}

interface RawMember {
  key: string | null;
  raw: string;
}

/** The members of the object or array whose text is `container`, each with its value's source text. */
function rawMembers(container: string): RawMember[] {
  const start = skipWhitespace(container, 0);
  const isObject = container.charAt(start) === '{';
  const members: RawMember[] = [];
  let i = skipWhitespace(container, start + 1);
  while (i < container.length && container.charAt(i) !== '}' && container.charAt(i) !== ']') {
    let key: string | null = null;
    if (isObject) {
      const keyEnd = endOfString(container, i);
      const parsedKey: unknown = JSON.parse(container.slice(i, keyEnd));
      key = String(parsedKey);
      i = skipWhitespace(container, skipWhitespace(container, keyEnd) + 1);
    }
    const valueEnd = endOfValue(container, i);
    // Only reachable with text JSON.parse rejected; never spin.
    if (valueEnd <= i) break;
    members.push({ key, raw: container.slice(i, valueEnd) });
    i = skipWhitespace(container, valueEnd);
    if (container.charAt(i) === ',') i = skipWhitespace(container, i + 1);
  }
  return members;
}

/** Source text of `key`'s value in a JSON object; the last duplicate wins, as with JSON.parse. */
export function rawMemberText(objectText: string, key: string): string | undefined {
  return rawMembers(objectText).findLast((member) => member.key === key)?.raw;
}

/** Source text of each element of a JSON array. */
export function rawElementTexts(arrayText: string): string[] {
  return rawMembers(arrayText).map((member) => member.raw);
}

import { MAX_VERSION_LENGTH, isValidVersion } from '@upgrade-manager/frame-codec';

const NEWLINE = 0x0a;
// A version line plus room for "\r\n" and a little padding.
const MAX_LINE_BYTES = MAX_VERSION_LENGTH + 4;

/**
 * The version an image announces, as test images do: content that is only a dotted version
 * (`1.2`, `1.2\n`), or whose first line is one (`1.2\n<anything>`). Surrounding spaces, tabs and
 * `\r` are ignored. Null for any other content, e.g. a real binary.
 */
export function versionFromContent(content: Uint8Array): string | null {
  const window = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, MAX_LINE_BYTES + 1));
  const newline = window.indexOf(NEWLINE);
  let lineEnd: number;
  if (newline >= 0) lineEnd = newline;
  else if (content.byteLength <= MAX_LINE_BYTES) lineEnd = content.byteLength;
  else return null;
  const line = window.toString('latin1', 0, lineEnd).replace(/^[ \t\r]+|[ \t\r]+$/g, '');
  return isValidVersion(line) ? line : null;
}

import { randomBytes } from 'node:crypto';

const MAGIC = 'UMBENCH1';
const MAX_HEADER_BYTES = 160;

export interface BenchImageHeader {
  runId: string;
  version: string;
}

/**
 * An image of exactly `bytes` bytes (at least its header) that names the run and version it
 * belongs to in its first line, then random bytes: a gateway of the benchmark recognises its own
 * images among other broadcasts on the shared broker and reports the version it installed.
 */
export function buildBenchImage(runId: string, version: string, bytes: number): Buffer {
  const header = Buffer.from(`${MAGIC} ${runId} ${version}\n`, 'ascii');
  if (header.length > MAX_HEADER_BYTES) throw new RangeError('run id or version too long');
  const image = Buffer.allocUnsafe(Math.max(bytes, header.length));
  header.copy(image, 0);
  randomBytes(image.length - header.length).copy(image, header.length);
  return image;
}

/** The run and version of a benchmark image; null for any other content. */
export function readBenchImageHeader(content: Buffer): BenchImageHeader | null {
  const end = content.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (end < 0) return null;
  const [magic, runId, version, ...rest] = content.subarray(0, end).toString('latin1').split(' ');
  if (magic !== MAGIC || !runId || !version || rest.length > 0) return null;
  return { runId, version };
}

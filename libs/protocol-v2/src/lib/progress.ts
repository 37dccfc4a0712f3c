import { field, integerIn, invalid, readJsonObject, stringMatching, TOKEN } from './json-fields';
import { MAX_IMAGE_SIZE, MAX_JSON_MESSAGE_BYTES, MAX_REASON_BYTES } from './limits';

/** States a gateway reports for one deployment, in the order they happen; the last two end it too. */
export const PROGRESS_STATES = ['downloading', 'downloaded', 'verified', 'installing', 'succeeded', 'failed', 'rejected'] as const;
export type ProgressState = (typeof PROGRESS_STATES)[number];
export const TERMINAL_PROGRESS_STATES: readonly ProgressState[] = ['succeeded', 'failed', 'rejected'];

/** Upgrade Progress (gateway → cloud). */
export interface Progress {
  deploymentId: string;
  state: ProgressState;
  /** Bytes of the image the gateway holds; required for `downloading`. */
  bytes: number | null;
  /** Why, for `failed` and `rejected` (required there), at most MAX_REASON_BYTES UTF-8 bytes. */
  reason: string | null;
}

const states: ReadonlySet<string> = new Set(PROGRESS_STATES);

export function isTerminalProgressState(state: ProgressState): boolean {
  return TERMINAL_PROGRESS_STATES.includes(state);
}

// C0 controls but tab, newline and carriage return (JSON writes each as six bytes, \u0001), and DEL.
const UNREADABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
// A surrogate without its pair: JSON writes it as six bytes (\ud800), UTF-8 as U+FFFD.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `reason` as a gateway can report it: control characters (but tab and line breaks) as spaces,
 * unpaired surrogates as U+FFFD, cut to at most MAX_REASON_BYTES UTF-8 bytes, never in the middle
 * of a character. JSON then writes each of its bytes as at most two, so its Progress always fits
 * MAX_JSON_MESSAGE_BYTES; a 1 KiB reason of control characters would take six KiB.
 */
export function truncateReason(reason: string): string {
  // What is kept lies within the first MAX_REASON_BYTES code units (each takes at least one UTF-8
  // byte, neither replacement changes a character's UTF-8 length, a pair cut in two there is past
  // the cut anyway), so only those are cleaned: the regular expressions took up to 300 ms per MiB.
  const head = reason.length > MAX_REASON_BYTES ? reason.slice(0, MAX_REASON_BYTES) : reason;
  const readable = head.replace(UNPAIRED_SURROGATE, '\ufffd').replace(UNREADABLE, ' ');
  const bytes = Buffer.from(readable, 'utf8');
  if (bytes.byteLength <= MAX_REASON_BYTES) return readable;
  let end = MAX_REASON_BYTES;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

function check(progress: Progress): void {
  stringMatching(progress.deploymentId, 'deploymentId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -');
  if (!states.has(progress.state)) throw invalid('state', `must be one of ${PROGRESS_STATES.join(', ')}`);
  if (progress.bytes !== null) integerIn(progress.bytes, 'bytes', 0, MAX_IMAGE_SIZE);
  else if (progress.state === 'downloading') throw invalid('bytes', 'is required for downloading');
  const needsReason = progress.state === 'failed' || progress.state === 'rejected';
  if (progress.reason === null) {
    if (needsReason) throw invalid('reason', `is required for ${progress.state}`);
  } else if (Buffer.byteLength(progress.reason, 'utf8') > MAX_REASON_BYTES) {
    throw invalid('reason', `must have at most ${MAX_REASON_BYTES} UTF-8 bytes`);
  }
}

export function encodeProgress(progress: Progress): Buffer {
  check(progress);
  const body: Record<string, unknown> = { deploymentId: progress.deploymentId, state: progress.state };
  if (progress.bytes !== null) body['bytes'] = progress.bytes;
  if (progress.reason !== null) body['reason'] = progress.reason;
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  // Never a message the server refuses unread (see truncateReason).
  if (payload.byteLength > MAX_JSON_MESSAGE_BYTES)
    throw invalid('reason', `makes the message longer than ${MAX_JSON_MESSAGE_BYTES} bytes; pass it through truncateReason`);
  return payload;
}

export function decodeProgress(payload: Uint8Array): Progress {
  const fields = readJsonObject(payload);
  const state = field(fields, 'state');
  if (typeof state !== 'string' || !states.has(state)) throw invalid('state', `must be one of ${PROGRESS_STATES.join(', ')}`);
  const bytes = Object.hasOwn(fields, 'bytes') && fields['bytes'] !== null ? integerIn(fields['bytes'], 'bytes', 0, MAX_IMAGE_SIZE) : null;
  const rawReason = Object.hasOwn(fields, 'reason') ? fields['reason'] : null;
  if (rawReason !== null && typeof rawReason !== 'string') throw invalid('reason', 'must be a string');
  const progress: Progress = {
    deploymentId: stringMatching(field(fields, 'deploymentId'), 'deploymentId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -'),
    state: state as ProgressState,
    bytes,
    reason: rawReason,
  };
  check(progress);
  return progress;
}

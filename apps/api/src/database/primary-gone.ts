import { mongo } from 'mongoose';

// The retryable write errors of MongoDB's retryable-writes specification that tell a node stopped
// being primary or is shutting down: NotWritablePrimary, NotPrimaryNoSecondaryOk,
// NotPrimaryOrSecondary, PrimarySteppedDown, InterruptedDueToReplStateChange, InterruptedAtShutdown,
// ShutdownInProgress.
const PRIMARY_GONE_CODES: ReadonlySet<number> = new Set([10107, 13435, 13436, 189, 11602, 11600, 91]);

/** Whether a command's or a statement's error code says the node stopped being primary or is shutting down. */
export function isPrimaryGoneCode(code: unknown): boolean {
  return typeof code === 'number' && PRIMARY_GONE_CODES.has(code);
}

/**
 * Whether a write failed because the primary is gone, so that sending it again reaches the next one.
 * The RetryableWriteError label alone does not tell it: MongoDB 4.4+ labels only retryable writes
 * (sent with a txnNumber, which an updateMany or a command of our own never is), and the driver
 * adds it only to network errors. A node that is no longer (or not yet) primary, or shutting down,
 * answers with one of the codes instead. write-commands keeps the driver's error of a write-concern
 * error as its cause.
 */
export function isPrimaryGone(error: unknown): boolean {
  return isPrimaryGoneError(error) || isPrimaryGoneError((error as { cause?: unknown } | undefined)?.cause);
}

function isPrimaryGoneError(error: unknown): boolean {
  return error instanceof mongo.MongoError && (error.hasErrorLabel('RetryableWriteError') || isPrimaryGoneCode(error.code));
}

/**
 * `send()`, and once more when it failed because the primary is gone: the driver then waits for
 * the new primary before it sends. A statement the old primary refused in an answer of `ok: 1`
 * (the driver's updateMany throws `writeErrors[0]`, which keeps its `index`) is the exception: the
 * driver learns of a stepdown only from a command refused as a whole, so the resend goes to the old
 * primary again, which now refuses it as a whole; that one is sent once more.
 */
export async function sentOnceMore<T>(send: () => PromiseLike<T>, retryable: (error: unknown) => boolean = isPrimaryGone): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!retryable(error)) throw error;
    if (isRefusedStatement(error)) return sentOnceMore(send, (again) => retryable(again) && !isRefusedStatement(again));
    return send();
  }
}

function isRefusedStatement(error: unknown): boolean {
  return typeof (error as { index?: unknown }).index === 'number';
}

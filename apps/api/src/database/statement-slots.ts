import { ByteBudget } from '../mqtt/byte-budget';

/**
 * Update statements one API process has in flight at once, over all its writes. FerretDB 1.24
 * (SQLite backend) holds one pooled connection per statement of an update command until the
 * command ends, from a pool of 100 per database shared by every client: beyond 100 statements in
 * flight it deadlocks. 30 per process keeps three API processes on one FerretDB below that;
 * fewer would cost every write more commands (a command costs FerretDB far more than a statement).
 * MongoDB has no such limit, and the slots cost it little (writes by `_id` are short).
 */
export const UPDATE_STATEMENT_SLOTS = 30;

const slots = new ByteBudget(UPDATE_STATEMENT_SLOTS);

/** Runs `write` once `statements` slots are free (a larger write waits until it can go alone). */
export async function withStatementSlots<T>(statements: number, write: () => Promise<T>): Promise<T> {
  const release = await slots.acquire(statements);
  try {
    return await write();
  } finally {
    release();
  }
}

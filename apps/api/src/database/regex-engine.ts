import type { Connection } from 'mongoose';

/**
 * How the database matches `$regex`: `backtracking` (PCRE2: MongoDB, and FerretDB 2.x through
 * DocumentDB) runs lookaheads and backreferences but may take polynomial time on a plain glob
 * expression; `automaton` (Go's regexp: FerretDB 1.x) is linear in time and refuses lookaheads.
 */
export type RegexEngine = 'backtracking' | 'automaton';

/** The engine a `buildInfo` reply shows: FerretDB adds `ferretdbVersion` (v1.24: "v1.24.2"). */
export function regexEngineOf(buildInfo: Record<string, unknown>): RegexEngine {
  const ferretdbVersion = buildInfo['ferretdbVersion'];
  if (typeof ferretdbVersion !== 'string') return 'backtracking';
  const major = /^v?(\d+)\./.exec(ferretdbVersion);
  return major !== null && Number(major[1]) >= 2 ? 'backtracking' : 'automaton';
}

/**
 * The database's regex engine, read once from `buildInfo` and kept (every API process reads the same
 * server, so all choose alike). A failed read is not kept: the next caller asks again.
 */
export class RegexEngineProbe {
  private engine: Promise<RegexEngine> | null = null;

  constructor(private readonly connection: Connection) {}

  get(): Promise<RegexEngine> {
    if (this.engine === null) {
      const engine = this.read();
      this.engine = engine;
      engine.catch(() => {
        if (this.engine === engine) this.engine = null;
      });
    }
    return this.engine;
  }

  private async read(): Promise<RegexEngine> {
    const db = this.connection.db ?? (await this.connection.asPromise()).db;
    if (!db) throw new Error('no database connection');
    return regexEngineOf(await db.admin().command({ buildInfo: 1 }));
  }
}

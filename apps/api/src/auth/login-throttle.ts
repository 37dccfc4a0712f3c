export interface LoginThrottleOptions {
  // Consecutive failures of one account before it is locked.
  maxFailuresPerAccount: number;
  // Failures from one address before it is locked; higher, as an office shares one address.
  maxFailuresPerAddress: number;
  // How long a lock lasts after the last failure; quieter counters are forgotten after as long.
  lockoutMs: number;
}

interface Counter {
  failures: number;
  lastFailureAt: number;
}

const PRUNE_ABOVE_ENTRIES = 10_000;

/**
 * Counts failed logins per account and per address in memory. An attempt counts as a failure
 * from its start, so parallel guesses cannot slip past the limit while passwords are verified.
 */
export class LoginThrottle {
  private readonly accounts = new Map<string, Counter>();
  private readonly addresses = new Map<string, Counter>();

  constructor(
    private readonly options: LoginThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the next attempt is allowed; 0 when allowed now. */
  retryAfterSeconds(account: string, address: string): number {
    const now = this.now();
    const waits = [
      this.waitMs(this.accounts, account, this.options.maxFailuresPerAccount, now),
      this.waitMs(this.addresses, address, this.options.maxFailuresPerAddress, now),
    ];
    return Math.ceil(Math.max(...waits) / 1000);
  }

  /** Counts an attempt as a failure until `succeeded` says otherwise. */
  attempt(account: string, address: string): void {
    const now = this.now();
    this.bump(this.accounts, account, now);
    this.bump(this.addresses, address, now);
  }

  /** A correct password: the account's failures in a row end; the address keeps its earlier failures. */
  succeeded(account: string, address: string): void {
    this.accounts.delete(account);
    const counter = this.addresses.get(address);
    if (counter) counter.failures = Math.max(0, counter.failures - 1);
  }

  private waitMs(counters: Map<string, Counter>, key: string, max: number, now: number): number {
    const counter = counters.get(key);
    if (!counter || counter.failures < max) return 0;
    return Math.max(0, counter.lastFailureAt + this.options.lockoutMs - now);
  }

  private bump(counters: Map<string, Counter>, key: string, now: number): void {
    if (counters.size > PRUNE_ABOVE_ENTRIES) this.prune(counters, now);
    const counter = counters.get(key);
    if (!counter || now - counter.lastFailureAt >= this.options.lockoutMs) {
      counters.set(key, { failures: 1, lastFailureAt: now });
      return;
    }
    counter.failures += 1;
    counter.lastFailureAt = now;
  }

  private prune(counters: Map<string, Counter>, now: number): void {
    for (const [key, counter] of counters) {
      if (now - counter.lastFailureAt >= this.options.lockoutMs) counters.delete(key);
    }
  }
}

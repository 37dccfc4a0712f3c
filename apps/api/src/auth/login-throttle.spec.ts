import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  let now: number;
  let throttle: LoginThrottle;
  const fail = (account: string, address: string) => throttle.attempt(account, address);

  beforeEach(() => {
    now = 1_000_000;
    throttle = new LoginThrottle({ maxFailuresPerAccount: 10, maxFailuresPerAddress: 50, lockoutMs: 900_000 }, () => now);
  });

  it('locks an account after ten failures in a row, whatever the address', () => {
    for (let i = 0; i < 9; i++) fail('a@x.test', `10.0.0.${i}`);
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.1.1')).toBe(0);
    fail('a@x.test', '10.0.0.9');
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.1.1')).toBe(900);
    expect(throttle.retryAfterSeconds('b@x.test', '10.0.1.1')).toBe(0);
  });

  it('forgets the lock once the lockout has passed since the last failure', () => {
    for (let i = 0; i < 10; i++) fail('a@x.test', '10.0.0.1');
    now += 600_000;
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.0.1')).toBe(300);
    now += 300_000;
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.0.1')).toBe(0);
    fail('a@x.test', '10.0.0.1');
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.0.1')).toBe(0);
  });

  it('ends the row of failures on a success', () => {
    for (let i = 0; i < 9; i++) fail('a@x.test', '10.0.0.1');
    fail('a@x.test', '10.0.0.1');
    throttle.succeeded('a@x.test', '10.0.0.1');
    for (let i = 0; i < 9; i++) fail('a@x.test', '10.0.0.1');
    expect(throttle.retryAfterSeconds('a@x.test', '10.0.0.1')).toBe(0);
  });

  it('locks an address that guesses across many accounts', () => {
    for (let i = 0; i < 50; i++) fail(`user${i}@x.test`, '10.0.0.1');
    expect(throttle.retryAfterSeconds('fresh@x.test', '10.0.0.1')).toBe(900);
    expect(throttle.retryAfterSeconds('fresh@x.test', '10.0.0.2')).toBe(0);
  });

  it('does not let successes on one account reset the address count of guesses on others', () => {
    for (let i = 0; i < 49; i++) fail(`user${i}@x.test`, '10.0.0.1');
    fail('mine@x.test', '10.0.0.1');
    throttle.succeeded('mine@x.test', '10.0.0.1');
    fail('other@x.test', '10.0.0.1');
    expect(throttle.retryAfterSeconds('fresh@x.test', '10.0.0.1')).toBe(900);
  });
});

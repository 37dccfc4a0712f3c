import { serviceAddress, withDatabaseName } from './bench-env';

describe('bench env helpers', () => {
  it('replaces the database name of a MongoDB URL', () => {
    expect(withDatabaseName('mongodb://127.0.0.1:27017/upgrade-manager?x=1', 'um-bench-1')).toBe('mongodb://127.0.0.1:27017/um-bench-1?x=1');
  });

  it('shows a service without credentials or path', () => {
    expect(serviceAddress('mongodb://user:secret@127.0.0.1:27017/db')).toBe('mongodb://127.0.0.1:27017');
    expect(serviceAddress('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(serviceAddress('not a url')).toBe('unparsable URL');
  });
});

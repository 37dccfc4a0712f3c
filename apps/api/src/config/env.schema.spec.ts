import { validateEnv } from './env.schema';

describe('validateEnv', () => {
  const minimal = { MQTT_PASSWORD: 'secret', JWT_SECRET: 'x'.repeat(32) };

  it('fills defaults', () => {
    const env = validateEnv(minimal);
    expect(env.PORT).toBe(5001);
    expect(env.MONGO_URL).toBe('mongodb://127.0.0.1:27017/upgrade-manager');
    expect(env.AUTH_MODE).toBe('jwt');
  });

  it('names every bad variable', () => {
    expect(() => validateEnv({ ...minimal, PORT: 'abc', MQTT_URL: 'http://x' })).toThrow(/PORT[\s\S]*MQTT_URL/);
  });

  it('requires a JWT secret only when login is on', () => {
    expect(() => validateEnv({ MQTT_PASSWORD: 's' })).toThrow(/JWT_SECRET/);
    expect(validateEnv({ MQTT_PASSWORD: 's', AUTH_MODE: 'none' }).AUTH_MODE).toBe('none');
  });
});

// Integration tests run against the real Mosquitto started by `npm run services:start`.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'gateway-sim-integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/test/global-setup.cjs',
  setupFiles: ['<rootDir>/test/load-env.cjs'],
  testTimeout: 60_000,
};

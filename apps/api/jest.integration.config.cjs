// Integration tests run against the real Mosquitto and database started by `npm run services:start`.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts', '<rootDir>/test/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/test/global-setup.cjs',
  setupFiles: ['<rootDir>/test/load-env.cjs'],
  testTimeout: 60_000,
};

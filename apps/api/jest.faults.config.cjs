// The fault suite (npm run test:faults): the built API as a child process, killed, flooded and
// starved of its broker and database, with what it promised checked afterwards.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-faults',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  globalSetup: '<rootDir>/test/faults/global-setup.cjs',
  globalTeardown: '<rootDir>/test/faults/global-teardown.cjs',
  setupFiles: ['<rootDir>/test/load-env.cjs'],
  testTimeout: 300_000,
};

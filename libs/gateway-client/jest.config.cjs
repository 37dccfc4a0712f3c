module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'gateway-client',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

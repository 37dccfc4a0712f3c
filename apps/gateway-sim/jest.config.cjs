module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'gateway-sim',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

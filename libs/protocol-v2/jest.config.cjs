module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'protocol-v2',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

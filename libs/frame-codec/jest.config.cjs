module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'frame-codec',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

// Shared Jest settings: SWC compiles TypeScript (keeping decorator metadata for Nest) and
// the lib aliases of tsconfig.base.json resolve to their sources.
const path = require('node:path');

const libAliases = {
  '^@upgrade-manager/(dto|frame-codec|gateway-client|protocol-v2)$': path.join(__dirname, 'libs/$1/src/index.ts'),
};

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: libAliases,
};

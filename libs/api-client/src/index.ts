export type { components, operations, paths } from './lib/openapi';
export * from './lib/typed-api';

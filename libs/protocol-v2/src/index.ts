export * from './lib/chunk';
export * from './lib/chunk-request';
export * from './lib/limits';
export * from './lib/manifest';
export * from './lib/progress';
export * from './lib/protocol-v2.error';
export * from './lib/signing';
export * from './lib/topics-v2';

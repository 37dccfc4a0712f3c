export * from './lib/frame';
export * from './lib/frame-decode.error';
export * from './lib/payload.error';
export * from './lib/payloads';
export * from './lib/topics';
export * from './lib/version-order';

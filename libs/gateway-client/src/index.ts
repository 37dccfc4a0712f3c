export * from './lib/concurrency';
export * from './lib/gateway-client';
export * from './lib/gateway-client.options';
export * from './lib/gateway-fleet';
export * from './lib/gateway-message';
export * from './lib/command-installer';
export * from './lib/download-state';
export * from './lib/upgrade-agent';

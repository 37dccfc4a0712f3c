export * from './lib/event-types';
export * from './lib/roles';
export * from './lib/versions.dto';
export * from './lib/gateways.dto';
export * from './lib/deployments.dto';

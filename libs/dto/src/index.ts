export * from './lib/event-types';
export * from './lib/roles';

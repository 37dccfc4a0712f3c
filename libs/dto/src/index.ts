// class-transformer's @Type reads Reflect metadata when a DTO class is defined: load the polyfill first (the web app has no other source of it).
import 'reflect-metadata';
export * from './lib/event-types';
export * from './lib/roles';
export * from './lib/auth.dto';
export * from './lib/companies.dto';
export * from './lib/events.dto';
export * from './lib/users.dto';
export * from './lib/versions.dto';
export * from './lib/gateways.dto';
export * from './lib/deployments.dto';
export * from './lib/gateway-credentials.dto';
export * from './lib/gateway-filter.dto';
export * from './lib/rollouts.dto';
export * from './lib/paging-limits';
export * from './lib/live-events.dto';

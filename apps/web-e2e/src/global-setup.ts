import { publishState } from './support/state';
import { type RunningSystem, startSystem } from './support/system';

declare global {
  // Read by the global teardown (Jest shares globals between the two).
  var __UPGRADE_MANAGER_E2E__: RunningSystem | undefined;
}

export default async function globalSetup(): Promise<void> {
  const system = await startSystem();
  globalThis.__UPGRADE_MANAGER_E2E__ = system;
  publishState(system.state);
}

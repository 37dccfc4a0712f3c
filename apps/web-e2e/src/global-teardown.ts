export default async function globalTeardown(): Promise<void> {
  await globalThis.__UPGRADE_MANAGER_E2E__?.stop();
  globalThis.__UPGRADE_MANAGER_E2E__ = undefined;
}

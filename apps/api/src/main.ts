import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApiApp, startApiApp } from './bootstrap';
import { AppConfigService } from './config/app-config.service';
import { assertSafeBinding } from './config/safe-binding';

async function main(): Promise<void> {
  const app = await createApiApp();
  const config = app.get(AppConfigService);
  const host = config.get('HOST');
  const port = config.get('PORT');
  assertSafeBinding(config.get('AUTH_MODE'), host);
  await startApiApp(app, port, host);
  new Logger('Main').log(`Upgrade Manager API listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

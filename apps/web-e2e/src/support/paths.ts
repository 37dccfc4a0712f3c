import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../../..');
export const OUTPUT_DIR = join(ROOT, 'apps/web-e2e/output');
export const API_MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
export const API_CLI = join(ROOT, 'dist/apps/api/apps/api/src/cli/main.js');
export const WEB_DIST = join(ROOT, 'dist/apps/web');

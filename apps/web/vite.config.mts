import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspace = fileURLToPath(new URL('../..', import.meta.url));
const apiTarget = process.env.VITE_API_PROXY_TARGET ?? 'http://127.0.0.1:5001';

export default defineConfig({
  root,
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^@upgrade-manager\/dto$/, replacement: `${workspace}libs/dto/src/index.ts` },
      { find: /^@upgrade-manager\/api-client$/, replacement: `${workspace}libs/api-client/src/index.ts` },
      // The DTOs take the company-id pattern from the codec (one pattern for gateways and the API).
      { find: /^@upgrade-manager\/frame-codec$/, replacement: `${workspace}libs/frame-codec/src/index.ts` },
      // The shared DTOs carry OpenAPI decorators; in the browser they are no-ops (Nest ships this shim for it).
      { find: /^@nestjs\/swagger$/, replacement: `${workspace}node_modules/@nestjs/swagger/dist/extra/swagger-shim.js` },
    ],
  },
  server: {
    port: 4200,
    host: '127.0.0.1',
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  build: { outDir: `${workspace}dist/apps/web`, emptyOutDir: true },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: [`${root}src/test-setup.ts`],
    include: ['src/**/*.spec.{ts,tsx}'],
    // Typing into Mantine inputs with user-event is slow on a shared two-core machine.
    testTimeout: 20_000,
  },
});

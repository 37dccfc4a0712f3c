import { DynamicModule, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Serves the built web app at `/` (deep links fall back to index.html) when it has been built. */
@Module({})
export class WebAppModule {
  static register(webDistDir: string): DynamicModule {
    const rootPath = resolve(webDistDir);
    if (!existsSync(join(rootPath, 'index.html'))) return { module: WebAppModule };
    return {
      module: WebAppModule,
      imports: [ServeStaticModule.forRoot({ rootPath, exclude: ['/api/{*path}', '/metrics'] })],
    };
  }
}

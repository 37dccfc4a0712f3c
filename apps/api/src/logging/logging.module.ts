import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { ACCESS_TOKEN_QUERY_PARAMETER, redactAccessToken } from '../auth/access-token.extractor';
import { AppConfigService } from '../config/app-config.service';

const ROOT_LOGGER = Symbol('ROOT_LOGGER');

function createRootLogger(config: AppConfigService): Logger {
  return pino({
    level: config.get('LOG_LEVEL'),
    redact: ['req.headers.authorization', 'req.headers.cookie', `req.query.${ACCESS_TOKEN_QUERY_PARAMETER}`],
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
  });
}

@Module({
  providers: [{ provide: ROOT_LOGGER, useFactory: createRootLogger, inject: [AppConfigService] }],
  exports: [ROOT_LOGGER],
})
class RootLoggerModule {}

/**
 * Nest's log through pino, and one line per HTTP request. nestjs-pino's own request middleware
 * runs every request in an AsyncLocalStorage, which makes every promise of the process pay
 * async hooks from the first request on (a tenth of the API's CPU in the status ingest, where no
 * request is involved): so it is not mounted (no routes), and pino-http logs the requests alone.
 */
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [ROOT_LOGGER],
      useFactory: (logger: Logger) => ({ pinoHttp: { logger }, forRoutes: [] }),
    }),
  ],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  configure(consumer: MiddlewareConsumer): void {
    const requests = pinoHttp({
      logger: this.logger,
      autoLogging: { ignore: (req) => req.url === '/api/health' || req.url === '/metrics' },
      // The SSE stream carries its token in the URL (EventSource cannot set headers).
      serializers: { req: (req: { url?: string }) => Object.assign(req, req.url ? { url: redactAccessToken(req.url) } : {}) },
    });
    // Express 5 path syntax; '*' triggers a legacy-route warning.
    consumer.apply(requests).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ACCESS_TOKEN_QUERY_PARAMETER, redactAccessToken } from '../auth/access-token.extractor';
import { AppConfigService } from '../config/app-config.service';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({
        // Express 5 path syntax; the library's default '*' triggers a legacy-route warning.
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        pinoHttp: {
          level: config.get('LOG_LEVEL'),
          autoLogging: { ignore: (req) => req.url === '/api/health' || req.url === '/metrics' },
          redact: ['req.headers.authorization', 'req.headers.cookie', `req.query.${ACCESS_TOKEN_QUERY_PARAMETER}`],
          // The SSE stream carries its token in the URL (EventSource cannot set headers).
          serializers: { req: (req: { url?: string }) => Object.assign(req, req.url ? { url: redactAccessToken(req.url) } : {}) },
          ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
        },
      }),
    }),
  ],
})
export class LoggingModule {}

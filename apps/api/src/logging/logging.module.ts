import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
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
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
        },
      }),
    }),
  ],
})
export class LoggingModule {}

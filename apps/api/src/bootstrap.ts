import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DEPLOYMENT_MAX_GATEWAYS } from '@upgrade-manager/dto';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { BoundedValidationPipe } from './common/bounded-validation.pipe';
import { GlobalExceptionFilter } from './common/global-exception.filter';
import { httpRequestMetrics } from './metrics/http-request-metrics';
import { MetricsService } from './metrics/metrics.service';
import { AppConfigService } from './config/app-config.service';
import { trustProxySetting } from './config/trust-proxy';
import { LoginCheck } from './auth/login-check';
import { apiDocsAccess } from './web/api-docs-access';
import { JSON_BODY_LIMIT_BYTES, largeJsonBodies } from './web/json-body-limits';
import { securityHeaders } from './web/security-headers';
import { RawFrameMqttServer } from './mqtt/raw-frame-mqtt.server';

// The largest valid JSON request: a deployment to the most gateway ids of the longest length
// (the default of 100 kB refuses a deployment to a few thousand gateways); for that route only.
const DEPLOYMENT_BODY_LIMIT_BYTES = DEPLOYMENT_MAX_GATEWAYS * (256 + 3) + 64 * 1024;

/** Builds the hybrid HTTP + MQTT application without listening, for main.ts and tests alike. */
export async function createApiApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  // First, so that every request is timed, also those refused by a guard, a pipe or the body parser.
  app.use(httpRequestMetrics(app.get(MetricsService)));
  const config = app.get(AppConfigService);
  app.set('trust proxy', trustProxySetting(config.get('TRUST_PROXY')));
  app.use(securityHeaders());
  app.use(largeJsonBodies(DEPLOYMENT_BODY_LIMIT_BYTES, config.get('AUTH_MODE') === 'none', app.get(LoginCheck)));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  const refused = app.get(MetricsService).counter({
    name: 'um_http_requests_refused_total',
    help: 'Request values refused by their shape before validation (too many keys or items, too deep, a list or a string past its bound), by reason',
    labelNames: ['reason'],
  });
  app.useGlobalPipes(new BoundedValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }, refused));
  app.useGlobalFilters(new GlobalExceptionFilter());

  const openApi = new DocumentBuilder().setTitle('Upgrade Manager API').setVersion('1').addBearerAuth().build();
  app.use(['/api/docs', '/api/docs-json'], apiDocsAccess(config.get('API_DOCS'), config.get('AUTH_MODE') === 'none', app.get(LoginCheck)));
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'api/docs-json' });

  app.connectMicroservice({ strategy: app.get(RawFrameMqttServer) }, { inheritAppConfig: true });
  return app;
}

/** Starts the MQTT side without waiting for the broker: it connects (and reconnects) on its own. */
export async function startApiApp(app: INestApplication, port: number, host: string): Promise<void> {
  void app.startAllMicroservices();
  await app.listen(port, host);
}

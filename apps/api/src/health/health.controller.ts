import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Response } from 'express';
import type { Connection } from 'mongoose';
import { AppConfigService } from '../config/app-config.service';
import { apiInstanceId } from '../mqtt/api-instance';
import { FramePublisher } from '../mqtt/frame-publisher.service';
import { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { Public } from '../auth/public.decorator';

type ComponentState = 'up' | 'down';

const MONGO_PING_TIMEOUT_MS = 1500;
/** Names the API process that answered: behind a load balancer, and for tests that must know it was theirs. */
export const API_INSTANCE_HEADER = 'X-Api-Instance';

@Public()
@Controller('health')
export class HealthController {
  private readonly instanceId: string;

  constructor(
    @InjectConnection() private readonly mongo: Connection,
    private readonly subscriber: RawFrameMqttServer,
    private readonly publisher: FramePublisher,
    config: AppConfigService,
  ) {
    this.instanceId = apiInstanceId({ API_INSTANCE_ID: config.get('API_INSTANCE_ID'), PORT: config.get('PORT') });
  }

  @Get()
  async check(@Res({ passthrough: true }) res: Response): Promise<{ status: 'ok' | 'error'; mongo: ComponentState; mqtt: ComponentState }> {
    const mongo = (await this.pingMongo()) ? 'up' : 'down';
    const mqtt = this.subscriber.client?.connected && this.publisher.connected ? 'up' : 'down';
    const healthy = mongo === 'up' && mqtt === 'up';
    res.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    res.setHeader(API_INSTANCE_HEADER, this.instanceId);
    return { status: healthy ? 'ok' : 'error', mongo, mqtt };
  }

  private async pingMongo(): Promise<boolean> {
    const db = this.mongo.db;
    if (!db) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), MONGO_PING_TIMEOUT_MS)));
    const ping = db
      .command({ ping: 1 })
      .then(() => true)
      .catch(() => false);
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

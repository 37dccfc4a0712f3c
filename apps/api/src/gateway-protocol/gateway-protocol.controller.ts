import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext, Payload } from '@nestjs/microservices';
import { TOCLOUD_SUBSCRIPTIONS } from '@upgrade-manager/frame-codec';
import { withholdAck } from '../mqtt/raw-frame-mqtt.server';
import { GatewayProtocolService } from './gateway-protocol.service';

/**
 * The four gateway → cloud messages, as raw frames from the persistent MQTT session. Every API
 * process subscribes through one shared group, so each message reaches one of them.
 */
@Controller()
export class GatewayProtocolController {
  constructor(private readonly protocol: GatewayProtocolService) {}

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.STATUS)
  status(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.receive(data, context);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_LATEST_VERSION)
  requestLatestVersion(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.receive(data, context);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_AVAILABLE_VERSIONS)
  requestAvailableVersions(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.receive(data, context);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_UPGRADE)
  requestUpgrade(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.receive(data, context);
  }

  private async receive(data: Buffer, context: MqttContext): Promise<void> {
    if (!(await this.protocol.receive(context.getTopic(), data))) withholdAck(context);
  }
}

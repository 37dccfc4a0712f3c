import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext, Payload } from '@nestjs/microservices';
import { TOCLOUD_SUBSCRIPTIONS } from '@upgrade-manager/frame-codec';
import { GatewayProtocolService } from './gateway-protocol.service';

/** The four gateway → cloud messages, as raw frames from the persistent MQTT session. */
@Controller()
export class GatewayProtocolController {
  constructor(private readonly protocol: GatewayProtocolService) {}

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.STATUS)
  status(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.protocol.receive(context.getTopic(), data);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_LATEST_VERSION)
  requestLatestVersion(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.protocol.receive(context.getTopic(), data);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_AVAILABLE_VERSIONS)
  requestAvailableVersions(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.protocol.receive(context.getTopic(), data);
  }

  @EventPattern(TOCLOUD_SUBSCRIPTIONS.REQUEST_UPGRADE)
  requestUpgrade(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.protocol.receive(context.getTopic(), data);
  }
}

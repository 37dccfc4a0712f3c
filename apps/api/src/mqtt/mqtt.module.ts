import { Global, Module } from '@nestjs/common';
import { AppConfigService } from '../config/app-config.service';
import { FramePublisher } from './frame-publisher.service';
import { buildMqttClientOptions, mqttEnvFrom } from './mqtt-client-options';
import { RawFrameMqttServer } from './raw-frame-mqtt.server';

// The subscriber keeps a persistent session (fixed client id, clean: false, QoS 1) so that
// gateway messages published while the API is down are delivered when it comes back.
function createSubscriber(config: AppConfigService): RawFrameMqttServer {
  const options = buildMqttClientOptions(mqttEnvFrom(config), config.get('MQTT_CLIENT_ID'), true);
  return new RawFrameMqttServer({ ...options, subscribeOptions: { qos: 1 } });
}

@Global()
@Module({
  providers: [FramePublisher, { provide: RawFrameMqttServer, useFactory: createSubscriber, inject: [AppConfigService] }],
  exports: [FramePublisher, RawFrameMqttServer],
})
export class MqttModule {}

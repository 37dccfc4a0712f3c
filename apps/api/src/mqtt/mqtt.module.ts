import { Module } from '@nestjs/common';
import { AppConfigService } from '../config/app-config.service';
import { FramePublisher } from './frame-publisher.service';
import { clusterTopicPrefix } from '../cluster/cluster-topics';
import { subscriberClientId } from './api-instance';
import { buildMqttClientOptions, mqttEnvFrom } from './mqtt-client-options';
import { RawFrameMqttServer } from './raw-frame-mqtt.server';

// Each API process keeps its own persistent session (client id `MQTT_CLIENT_ID-<instance>`,
// clean: false, QoS 1), and all of them subscribe through one shared group named MQTT_CLIENT_ID:
// each gateway message goes to one process. Mosquitto 2.0 shares a group's messages round-robin
// among ALL member sessions, offline ones included: what falls to a dead process waits in its
// session until it returns or another process adopts the session (see OrphanSessionAdopter).
function createSubscriber(config: AppConfigService): RawFrameMqttServer {
  const clientId = subscriberClientId({
    MQTT_CLIENT_ID: config.get('MQTT_CLIENT_ID'),
    API_INSTANCE_ID: config.get('API_INSTANCE_ID'),
    PORT: config.get('PORT'),
  });
  const options = buildMqttClientOptions(mqttEnvFrom(config), clientId, true);
  const group = config.get('MQTT_CLIENT_ID');
  return new RawFrameMqttServer({ ...options, subscribeOptions: { qos: 1 }, sharedGroup: group, internalTopicPrefix: clusterTopicPrefix(group) });
}

@Module({
  providers: [FramePublisher, { provide: RawFrameMqttServer, useFactory: createSubscriber, inject: [AppConfigService] }],
  exports: [FramePublisher, RawFrameMqttServer],
})
export class MqttModule {}

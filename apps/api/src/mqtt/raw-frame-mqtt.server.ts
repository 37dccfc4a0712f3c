import { MqttContext, ServerMqtt } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';

type MqttPacket = ConstructorParameters<typeof MqttContext>[0][1];

/**
 * MQTT transport that hands handlers the payload bytes untouched. Nest's own ServerMqtt
 * calls `toString()` and JSON.parse on every payload, which corrupts binary frames; gateway
 * frames carry no Nest envelope, so every message is dispatched as an event on its topic.
 */
export class RawFrameMqttServer extends ServerMqtt {
  override async handleMessage(channel: string, buffer: Buffer, _pub: MqttClient, originalPacket?: Record<string, unknown>): Promise<void> {
    const context = new MqttContext([channel, originalPacket as MqttPacket]);
    return this.handleEvent(channel, { pattern: channel, data: buffer }, context);
  }

  // Nest tries JSON.parse on every message's topic first; a gateway topic is never JSON, and the
  // exception thrown per message cost about a tenth of the API's CPU in the status ingest.
  protected override getRouteFromPattern(pattern: string): string {
    return /^[{["]/.test(pattern) ? super.getRouteFromPattern(pattern) : this.normalizePattern(pattern);
  }

  /** The live connection, for health checks; undefined before listen(). */
  get client(): MqttClient | undefined {
    return this.mqttClient as MqttClient | undefined;
  }
}

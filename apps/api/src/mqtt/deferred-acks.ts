import type { IPublishPacket, MqttClient, Packet } from 'mqtt';

// mqtt.js sends PUBACK when the callback of `handleMessage` runs without an error; an error skips
// it without stopping the connection, and the PUBACK goes out later through its packet writer
// (private in its types; bracket access is TypeScript's sanctioned way to reach it).
const ACK_DEFERRED = new Error('PUBACK deferred until the message is stored');

/**
 * Acknowledges each QoS 1 message only when `outcomeOf(packet)` resolves true (the message is
 * stored); false leaves it unacknowledged, so the broker delivers it again with the session. A
 * PUBACK belongs to the connection that received the message: after a reconnect the broker resends.
 * mqtt.js keeps reading while acknowledgements wait, so the broker's in-flight window
 * (max_inflight_messages) bounds how many messages are being stored at once.
 */
export function deferAcks(client: MqttClient, outcomeOf: (packet: IPublishPacket) => Promise<boolean> | undefined): void {
  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
    const outcome = packet.qos === 1 && packet.messageId !== undefined ? outcomeOf(packet) : undefined;
    if (!outcome) return callback();
    const messageId = packet.messageId;
    const stream = client.stream;
    callback(ACK_DEFERRED);
    void outcome.then((stored) => {
      if (stored && client.connected && client.stream === stream) client['_sendPacket']({ cmd: 'puback', messageId } as Packet);
    });
  };
}

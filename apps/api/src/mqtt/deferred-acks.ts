import type { IPublishPacket, MqttClient } from 'mqtt';

// mqtt.js sends PUBACK when the callback of `handleMessage` runs without an error; an error skips
// it without stopping the connection, and the PUBACK goes out later, written here.
const ACK_DEFERRED = new Error('PUBACK deferred until the message is stored');

/** PUBACK of one message id: fixed header, remaining length 2, the id (MQTT 3.1.1; MQTT 5 allows it for reason code 0 without properties). */
const PUBACK_BYTES = 4;

function pubacks(messageIds: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(messageIds.length * PUBACK_BYTES);
  messageIds.forEach((messageId, index) => {
    const offset = index * PUBACK_BYTES;
    bytes[offset] = 0x40;
    bytes[offset + 1] = 0x02;
    bytes.writeUInt16BE(messageId, offset + 2);
  });
  return bytes;
}

/**
 * Acknowledges each QoS 1 message only when `outcomeOf(packet)` resolves true (the message is
 * stored); false leaves it unacknowledged, so the broker delivers it again with the session. A
 * PUBACK belongs to the connection that received the message: after a reconnect the broker resends.
 * mqtt.js keeps reading while acknowledgements wait, so the broker's in-flight window
 * (max_inflight_messages) bounds how many messages are being stored at once.
 * A batch write stores thousands of messages at once: their PUBACKs go out as one socket write
 * in the next turn of the event loop instead of one mqtt.js packet write each. Returns the flush:
 * the caller runs it before ending the connection, or the DISCONNECT goes out first.
 */
export function deferAcks(client: MqttClient, outcomeOf: (packet: IPublishPacket) => Promise<boolean> | undefined): () => void {
  let due: number[] = [];
  let dueOn: MqttClient['stream'] | null = null;
  const flush = () => {
    const messageIds = due;
    const stream = dueOn;
    due = [];
    dueOn = null;
    if (messageIds.length > 0 && client.connected && client.stream === stream) stream.write(pubacks(messageIds));
  };
  const acknowledge = (messageId: number, stream: MqttClient['stream']) => {
    if (dueOn !== null && dueOn !== stream) flush();
    if (due.length === 0) setImmediate(flush);
    dueOn = stream;
    due.push(messageId);
  };
  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
    const outcome = packet.qos === 1 && packet.messageId !== undefined ? outcomeOf(packet) : undefined;
    if (!outcome) return callback();
    const messageId = packet.messageId as number;
    const stream = client.stream;
    callback(ACK_DEFERRED);
    void outcome.then((stored) => {
      if (stored && client.connected && client.stream === stream) acknowledge(messageId, stream);
    });
  };
  return flush;
}

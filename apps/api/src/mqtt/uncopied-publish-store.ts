import type { MqttClient, PacketHandler } from 'mqtt';

type Packet = Parameters<PacketHandler>[1];

type Callback = (error?: Error) => void;
type StoreAndSend = (packet: Packet, cb?: Callback, cbStorePut?: () => void) => void;

interface ClientInternals {
  _storeAndSend?: StoreAndSend;
  _writePacket: (packet: Packet, cb?: Callback) => void;
}

/**
 * mqtt.js 5 deep-copies every QoS 1 publish, payload included, before putting it into its
 * outgoing store, only to strip a topic alias from the stored copy. A publish without a topic
 * alias (this API never sets one) is stored as it is here, so a frame published to a thousand
 * gateways stays one Buffer instead of a thousand copies (1 GB per 1 MiB rollout). Publishes with
 * an alias keep mqtt.js's own path. Throws when mqtt.js no longer has the method it replaces.
 */
export function storePublishesUncopied(client: MqttClient): void {
  const internals = client as unknown as ClientInternals;
  const original = internals._storeAndSend;
  if (typeof original !== 'function') throw new Error('mqtt.js has no _storeAndSend any more: review apps/api/src/mqtt/uncopied-publish-store.ts');
  internals._storeAndSend = (packet, cb, cbStorePut) => {
    if (packet.cmd === 'publish' && (packet as { properties?: { topicAlias?: number } }).properties?.topicAlias !== undefined) {
      original.call(client, packet, cb, cbStorePut);
      return;
    }
    client.outgoingStore.put(packet, (error?: Error) => {
      if (error) {
        cb?.(error);
        return;
      }
      cbStorePut?.();
      internals._writePacket.call(client, packet, cb);
    });
  };
}

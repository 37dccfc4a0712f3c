import { HEADER_LENGTH, MAX_GATEWAY_ID_LENGTH } from '@upgrade-manager/frame-codec';

/** MQTT's largest "remaining length" (a packet is at most 256 MiB). */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;
// Topic length field, the longest per-gateway Upgrade topic and the QoS 1 packet id.
const PUBLISH_OVERHEAD = 2 + 'TOGATEWAY/UPGRADE/'.length + MAX_GATEWAY_ID_LENGTH + 2;

/** The largest image a v1 Upgrade can carry in one MQTT packet. */
export const MAX_V1_IMAGE_BYTES = MQTT_MAX_REMAINING_LENGTH - PUBLISH_OVERHEAD - HEADER_LENGTH;

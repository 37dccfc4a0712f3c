/** Root of the API processes' own topics; the broker lets only the API account use it (config/mosquitto/acl). */
export const CLUSTER_TOPIC_ROOT = 'upgrade-manager/cluster';

/** The bus of one deployment of the API: its processes share MQTT_CLIENT_ID. */
export function clusterTopicPrefix(mqttClientId: string): string {
  return `${CLUSTER_TOPIC_ROOT}/${mqttClientId}`;
}

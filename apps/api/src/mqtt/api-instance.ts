import { hostname } from 'node:os';
import type { Env } from '../config/env.schema';

/**
 * This process's name among the API processes of one deployment: `API_INSTANCE_ID`, or the host
 * name and HTTP port. It must stay the same when the process restarts in the same place (same
 * container, same port), so that the process finds its broker session and what waits in it.
 */
export function apiInstanceId(env: Pick<Env, 'API_INSTANCE_ID' | 'PORT'>): string {
  const id = env.API_INSTANCE_ID || `${hostname()}-${env.PORT}`;
  // MQTT client ids and topic levels: keep to characters every broker accepts.
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * The client id of a process's persistent subscriber session: `MQTT_CLIENT_ID` is the prefix
 * shared by the processes of one deployment (and their shared-subscription group).
 */
export function subscriberClientId(env: Pick<Env, 'MQTT_CLIENT_ID' | 'API_INSTANCE_ID' | 'PORT'>): string {
  return `${env.MQTT_CLIENT_ID}-${apiInstanceId(env)}`;
}

// Local services for development, tests and CI: the Mosquitto broker and the MongoDB-compatible
// database (mongod, or FerretDB). Used by tools/services/cli.mjs and tools/scripts/start.mjs.
import { servicesConfig, ServiceError } from './config.mjs';
import { databaseStatus, startDatabase, stopDatabase } from './database.mjs';
import { withLock } from './lock.mjs';
import { mosquittoStatus, startMosquitto, stopMosquitto } from './mosquitto.mjs';

export { ServiceError };

/**
 * Starts every service that is not running yet (idempotent) and waits until each is ready
 * (broker accepts the API account's login, database answers ping). Installs/builds what is missing.
 * @param {{ env?: NodeJS.ProcessEnv, log?: (line: string) => void }} [options]
 * @returns {Promise<ServiceState[]>}
 */
export async function startServices({ env, log = console.log } = {}) {
  const cfg = servicesConfig(env);
  return withLock(
    cfg.lockDir,
    async () => {
      const broker = await startMosquitto(cfg, { log });
      const database = await startDatabase(cfg, { log });
      return [broker, database];
    },
    { log },
  );
}

/**
 * Stops the services this project started (by pid file); stopping stopped services is fine.
 * `only` names the services to stop (default: both), for callers that stop just what they started.
 * @param {{ env?: NodeJS.ProcessEnv, log?: (line: string) => void, only?: Array<'mosquitto' | 'database'> }} [options]
 * @returns {Promise<ServiceState[]>}
 */
export async function stopServices({ env, log = console.log, only = ['mosquitto', 'database'] } = {}) {
  const cfg = servicesConfig(env);
  return withLock(
    cfg.lockDir,
    async () => {
      const stopped = [];
      if (only.includes('mosquitto')) stopped.push(await stopMosquitto(cfg, { log }));
      if (only.includes('database')) stopped.push(await stopDatabase(cfg, { log }));
      return stopped;
    },
    { log },
  );
}

/**
 * The state of each service. `allUp` is true when every managed service runs and listens
 * (a service whose URL points to another host counts as up: it is not ours to run).
 * @param {{ env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ allUp: boolean, services: ServiceState[] }>}
 */
export async function servicesStatus({ env } = {}) {
  const cfg = servicesConfig(env);
  const services = [await mosquittoStatus(cfg), await databaseStatus(cfg)];
  return { allUp: services.every((s) => s.running !== false), services };
}

/**
 * @typedef {object} ServiceState
 * @property {'mosquitto' | 'database'} name
 * @property {'running' | 'stopped' | 'not-listening' | 'external'} state
 * @property {boolean | null} running  null when external (not managed here)
 * @property {number | null} pid
 * @property {number} port
 * @property {number | null} [tlsPort]  mosquitto only: the TLS listener's port, when enabled
 * @property {'ferretdb' | 'mongod'} [engine]  database only
 * @property {string} [detail]
 */

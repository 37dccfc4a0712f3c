// Settings of the local services, derived from `.env` (see .env.example): ports, bind addresses,
// credentials and the paths under DATA_DIR where each service keeps its files.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ROOT, loadEnv } from '../env.mjs';

/** Raised for problems the user has to fix; the CLI prints the message without a stack trace. */
export class ServiceError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.name = 'ServiceError';
    this.exitCode = exitCode;
  }
}

/** FerretDB's storage: its SQLite files, or this project's own PostgreSQL cluster (tools/services/postgresql.mjs). */
export const FERRETDB_BACKENDS = ['sqlite', 'postgresql'];
export const DEFAULT_FERRETDB_BACKEND = 'sqlite';

/** Where certs/create-dev-ca.sh writes the broker's TLS files (relative to the repository). */
export const DEFAULT_TLS_FILES = { ca: 'certs/out/ca.crt', cert: 'certs/out/broker.crt', key: 'certs/out/broker.key' };

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', '']);

/** Parses `scheme://host:port/...`; null when it cannot be parsed (e.g. several hosts). */
function parseUrl(url, defaultPort) {
  try {
    const u = new URL(url);
    return { protocol: u.protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) };
  } catch {
    return null;
  }
}

function resolvePath(p) {
  return isAbsolute(p) ? p : resolve(ROOT, p);
}

/** Everything the service modules need, computed once from the environment. */
export function servicesConfig(env = loadEnv()) {
  const dataDir = resolvePath(env.DATA_DIR || '.data');

  const mqttUrl = env.MQTT_URL || 'mqtt://127.0.0.1:1883';
  const mqtt = parseUrl(mqttUrl, 1883);
  const mqttManaged = !!mqtt && LOOPBACK_NAMES.has(mqtt.host);
  const plainPort = mqtt && /^(mqtt|tcp):$/.test(mqtt.protocol) ? mqtt.port : 1883;
  const tlsPort = Number(env.MQTT_TLS_PORT || (mqtt && /^(mqtts|ssl|tls):$/.test(mqtt.protocol) ? mqtt.port : 8883));
  const mosquittoDir = join(dataDir, 'mosquitto');
  const tlsFiles = {
    ca: resolvePath(env.MQTT_TLS_CA_FILE || DEFAULT_TLS_FILES.ca),
    cert: resolvePath(env.MQTT_TLS_CERT_FILE || DEFAULT_TLS_FILES.cert),
    key: resolvePath(env.MQTT_TLS_KEY_FILE || DEFAULT_TLS_FILES.key),
  };
  // Development mode (no login) keeps every listener on loopback; see SPEC §3.
  const developmentMode = env.AUTH_MODE === 'none';

  const mongoUrl = env.MONGO_URL || 'mongodb://127.0.0.1:27017/upgrade-manager';
  const ferretdbBackend = env.FERRETDB_BACKEND || DEFAULT_FERRETDB_BACKEND;
  if (!FERRETDB_BACKENDS.includes(ferretdbBackend)) {
    throw new ServiceError(`FERRETDB_BACKEND=${ferretdbBackend}: use one of ${FERRETDB_BACKENDS.join(', ')}.`);
  }
  const postgresqlDir = join(dataDir, 'postgresql');
  const mongo = parseUrl(mongoUrl, 27017);
  const mongoManaged = !!mongo && LOOPBACK_NAMES.has(mongo.host);

  return {
    root: ROOT,
    dataDir,
    lockDir: join(dataDir, 'services.lock'),
    mosquitto: {
      managed: mqttManaged,
      url: mqttUrl,
      // Plain MQTT listener: only on the loopback address named in MQTT_URL.
      host: !mqtt || mqtt.host === '' || mqtt.host === '0.0.0.0' ? '127.0.0.1' : mqtt.host,
      port: plainPort,
      developmentMode,
      tls: {
        // startMosquitto creates the default files (certs/create-dev-ca.sh) when they are missing.
        enabled: Object.values(tlsFiles).every((f) => existsSync(f)),
        host: env.MQTT_TLS_HOST || (developmentMode ? '127.0.0.1' : '0.0.0.0'),
        port: tlsPort,
        files: tlsFiles,
        // Only the default location is ours to fill; other paths name the operator's own files.
        defaultFiles: Object.entries(DEFAULT_TLS_FILES).every(([name, file]) => tlsFiles[name] === resolvePath(file)),
        certHosts: env.MQTT_HOST || '',
      },
      dynsec: {
        // Empty: looked up in the usual library directories when the broker starts.
        plugin: env.MOSQUITTO_DYNSEC_PLUGIN || '',
        configFile: join(mosquittoDir, 'dynamic-security.json'),
      },
      apiUser: { username: env.MQTT_USERNAME || 'upgrade-manager-api', password: env.MQTT_PASSWORD || '' },
      gatewayUser: { username: env.MQTT_GATEWAY_USERNAME || 'gateway', password: env.MQTT_GATEWAY_PASSWORD || '' },
      // The largest frame the API publishes (an image of MAX_IMAGE_BYTES) with 64 KiB for the
      // header, topic and MQTT header; never above MQTT's own limit.
      maxPacketSize: Math.min(Number(env.MAX_IMAGE_BYTES || 134217728) + 65536, 268435455),
      templateDir: join(ROOT, 'config', 'mosquitto'),
      dir: mosquittoDir,
      confFile: join(mosquittoDir, 'mosquitto.conf'),
      passwordFile: join(mosquittoDir, 'passwords'),
      aclFile: join(mosquittoDir, 'acl'),
      pidFile: join(mosquittoDir, 'mosquitto.pid'),
      logFile: join(mosquittoDir, 'mosquitto.log'),
      fingerprintFile: join(mosquittoDir, 'config.sha256'),
    },
    database: {
      managed: mongoManaged,
      url: mongoUrl,
      host: !mongo || mongo.host === '' || mongo.host === '0.0.0.0' ? '127.0.0.1' : mongo.host,
      port: mongo ? mongo.port : 27017,
      ferretdb: {
        bin: env.FERRETDB_BIN || '',
        backend: ferretdbBackend,
        dir: join(dataDir, 'ferretdb'),
        sqliteDir: join(dataDir, 'ferretdb', 'sqlite'),
        pidFile: join(dataDir, 'ferretdb', 'ferretdb.pid'),
        logFile: join(dataDir, 'ferretdb', 'ferretdb.log'),
        postgresql: {
          dir: postgresqlDir,
          dataDir: join(postgresqlDir, 'data'),
          socketDir: join(postgresqlDir, 'socket'),
          logFile: join(postgresqlDir, 'postgresql.log'),
        },
      },
      mongod: {
        dir: join(dataDir, 'mongo'),
        dbPath: join(dataDir, 'mongo', 'db'),
        pidFile: join(dataDir, 'mongo', 'mongod.pid'),
        logFile: join(dataDir, 'mongo', 'mongod.log'),
      },
    },
  };
}

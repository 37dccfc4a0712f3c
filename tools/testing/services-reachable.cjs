// Integration tests fail fast with a clear message when the services they need are not running.
const net = require('node:net');
const { loadDotEnv } = require('./load-env.cjs');

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/**
 * A jest globalSetup that throws when one of `services` is unreachable.
 * Each service: { label, envName, fallbackUrl, defaultPort }.
 */
function requireServices(services) {
  return async () => {
    loadDotEnv();
    const targets = services.map((service) => ({ ...service, url: new URL(process.env[service.envName] ?? service.fallbackUrl) }));
    const missing = [];
    for (const { label, url, defaultPort } of targets) {
      if (!(await reachable(url.hostname, Number(url.port || defaultPort)))) missing.push(`${label} at ${url.host}`);
    }
    if (missing.length) throw new Error(`Integration tests need ${missing.join(' and ')}: run \`npm run services:start\` first.`);
  };
}

const database = (label) => ({ label, envName: 'MONGO_URL', fallbackUrl: 'mongodb://127.0.0.1:27017', defaultPort: 27017 });
const mqttBroker = (label) => ({ label, envName: 'MQTT_URL', fallbackUrl: 'mqtt://127.0.0.1:1883', defaultPort: 1883 });

module.exports = { requireServices, database, mqttBroker };

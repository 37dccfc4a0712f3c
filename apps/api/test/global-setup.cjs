// Fails fast with a clear message when the services the integration tests need are not running.
const net = require('node:net');
const path = require('node:path');

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

module.exports = async () => {
  require('dotenv').config({ path: path.join(__dirname, '../../../.env'), quiet: true });
  const mongo = new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
  const mqtt = new URL(process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883');
  const missing = [];
  if (!(await reachable(mongo.hostname, Number(mongo.port || 27017)))) missing.push(`database at ${mongo.host}`);
  if (!(await reachable(mqtt.hostname, Number(mqtt.port || 1883)))) missing.push(`MQTT broker at ${mqtt.host}`);
  if (missing.length) throw new Error(`Integration tests need ${missing.join(' and ')}: run \`npm run services:start\` first.`);
};

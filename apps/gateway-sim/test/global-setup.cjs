// Fails fast with a clear message when the broker is not running.
const net = require('node:net');
const path = require('node:path');

module.exports = async () => {
  require('dotenv').config({ path: path.join(__dirname, '../../../.env'), quiet: true });
  const url = new URL(process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883');
  const reachable = await new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 1883), timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
  if (!reachable) throw new Error(`Integration tests need the MQTT broker at ${url.host}: run \`npm run services:start\` first.`);
};

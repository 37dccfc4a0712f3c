// Tests see the same .env as the services they talk to; the TZ is fixed for repeatable dates.
const path = require('node:path');

function loadDotEnv() {
  require('dotenv').config({ path: path.join(__dirname, '../../.env'), quiet: true });
}

function loadTestEnv() {
  process.env.TZ = 'UTC';
  loadDotEnv();
}

module.exports = { loadDotEnv, loadTestEnv };

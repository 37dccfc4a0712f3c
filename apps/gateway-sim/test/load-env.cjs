// Tests use the same .env as the broker they talk to.
process.env.TZ = 'UTC';
require('dotenv').config({ path: require('node:path').join(__dirname, '../../../.env'), quiet: true });

// Tests see the same .env as the services they talk to; the TZ is fixed for repeatable dates.
process.env.TZ = 'UTC';
require('dotenv').config({ path: require('node:path').join(__dirname, '../../../.env'), quiet: true });
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

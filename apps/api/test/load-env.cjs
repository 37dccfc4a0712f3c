require('../../../tools/testing/load-env.cjs').loadTestEnv();
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

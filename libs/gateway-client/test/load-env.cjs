require('../../../tools/testing/load-env.cjs').loadTestEnv();

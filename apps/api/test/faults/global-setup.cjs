// The shared services must run (the request flood and the fuzzing use them); the run directory
// records what the suite starts, and the global teardown stops whatever a test left running.
const requireSharedServices = require('../global-setup.cjs');

module.exports = async (...args) => {
  await requireSharedServices(...args);
  const { beginFaultRun } = await import('../../../../tools/testing/fault-run.mjs');
  beginFaultRun();
};

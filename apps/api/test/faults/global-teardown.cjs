// Stops what the suite's tests left running (after a failure or a time-out) and removes their files.
module.exports = async () => {
  const { sweepFaultRun } = await import('../../../../tools/testing/fault-run.mjs');
  await sweepFaultRun(process.env.FAULTS_RUN_DIR);
};

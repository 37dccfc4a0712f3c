import { performance } from 'node:perf_hooks';
import { parseBenchOptions } from './lib/bench-options';
import { failed, missingFields, renderMarkdown } from './lib/bench-result';
import { runBench } from './lib/run-bench';
import { writeResults } from './lib/write-results';

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv);
  const started = performance.now();
  const log = (message: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  const result = await runBench(options, process.argv.slice(2), log);
  const markdown = renderMarkdown(result);
  console.log(`\n${markdown}`);
  if (options.resultsDir) {
    const paths = writeResults(options.resultsDir, result, markdown);
    console.log(`Results: ${paths.json}\n         ${paths.markdown}`);
  }
  // Missed targets are results, not failures: only a run that could not measure everything fails.
  if (failed(result)) console.error(`The benchmark failed: ${[...result.phaseErrors, result.error ?? []].flat().join('; ')}`);
  // The smoke run (in the test suite) also fails when a results field is missing.
  const missing = options.smoke ? missingFields(result) : [];
  if (missing.length > 0) console.error(`The smoke run is missing results fields: ${missing.join(', ')}`);
  return failed(result) || missing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

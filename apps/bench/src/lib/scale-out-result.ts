import type { WarmUpRollout } from './bench-result';
import type { RolloutMode } from './raw-broker';

/** One measure taken with several API processes, next to the same with one. */
export interface ScaleOutMeasure {
  seconds: number;
  /** To the raw broker, as the one-process figure (ingest: rate ratio; rollouts: time ratio). */
  ratio: number;
  /** The same ratio with one API process in this run. */
  oneProcessRatio: number | null;
  /** API processes + database + broker. */
  serverCpuSeconds: number;
}

/** `--api-instances n` (n > 1): the ingest and rollouts again, through n API processes on a fresh database. */
export interface ScaleOutResult {
  apiInstances: number;
  ingest: (ScaleOutMeasure & { gateways: number; atLast: number }) | null;
  rollouts: Partial<Record<RolloutMode, ScaleOutMeasure>>;
  /** The warm-up rollouts through these processes before their measured ones (see BenchResult.warmUp). */
  warmUp?: WarmUpRollout[];
}

const fixed = (value: number): string => value.toFixed(2);

/** A markdown table: each measure with n processes next to one. */
export function renderScaleOut(result: ScaleOutResult): string[] {
  const rows: string[] = [];
  const row = (name: string, measure: ScaleOutMeasure | null | undefined, unit: string): void => {
    if (!measure) return;
    const one = measure.oneProcessRatio === null ? '-' : fixed(measure.oneProcessRatio);
    rows.push(`| ${name} | ${one} | ${fixed(measure.ratio)} (${fixed(measure.seconds)} s) | ${unit} | ${measure.serverCpuSeconds.toFixed(1)} |`);
  };
  row('Status ingest', result.ingest, 'rate to raw: higher is better');
  row('Rollout (a) all, broadcast', result.rollouts.broadcast, 'time to raw: lower is better');
  row('Rollout (b) list of N ids', result.rollouts.list, 'time to raw: lower is better');
  const ingest = result.ingest;
  const order =
    ingest && ingest.atLast < ingest.gateways
      ? [
          '',
          `Status ingest with ${result.apiInstances} processes: ${ingest.atLast} of ${ingest.gateways} gateways stored the Status they sent last; the others one sent earlier (FerretDB reads and writes a document in two steps, so two processes updating one gateway in the same instant can lose the order; MongoDB applies each update atomically).`,
        ]
      : [];
  return [
    `With ${result.apiInstances} API processes on one database and broker (gateway messages shared among them, HTTP to the first; a fresh database):`,
    '',
    `| Measure | Ratio, 1 process | Ratio, ${result.apiInstances} processes | Ratio | Server CPU s, ${result.apiInstances} processes |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
    ...order,
  ];
}

import type { CreateRolloutDto, GatewayFilterDto, RolloutPhaseInputDto, Weekday } from '@upgrade-manager/dto';

export interface PhaseValue {
  kind: 'percent' | 'count';
  value: number | string;
}

/** What the rollout form holds; numbers may be '' while being typed. */
export interface RolloutFormValues {
  version: string | null;
  companyId: string | null;
  tags: string[];
  versions: string[];
  online: 'any' | 'online' | 'offline';
  idPattern: string;
  phases: PhaseValue[];
  successPercent: number | string;
  autoAdvance: boolean;
  abortEnabled: boolean;
  abortPercent: number | string;
  abortMinFinished: number | string;
  maxPerMinute: number | string;
  jitterSeconds: number | string;
  windowEnabled: boolean;
  windowDays: Weekday[];
  windowFrom: string;
  windowTo: string;
  timeZone: string;
  retriesEnabled: boolean;
  retriesMax: number | string;
  retriesBackoffSeconds: number | string;
  continuous: boolean;
}

export function defaultRolloutValues(timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): RolloutFormValues {
  return {
    version: null,
    companyId: null,
    tags: [],
    versions: [],
    online: 'any',
    idPattern: '',
    phases: [
      { kind: 'percent', value: 10 },
      { kind: 'percent', value: 100 },
    ],
    successPercent: 100,
    autoAdvance: true,
    abortEnabled: true,
    abortPercent: 20,
    abortMinFinished: 5,
    maxPerMinute: '',
    jitterSeconds: 0,
    windowEnabled: false,
    windowDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    windowFrom: '22:00',
    windowTo: '05:00',
    timeZone,
    retriesEnabled: false,
    retriesMax: 2,
    retriesBackoffSeconds: 300,
    continuous: false,
  };
}

const num = (value: number | string): number => (value === '' ? NaN : Number(value));
const optionalNum = (value: number | string): number | undefined => (value === '' ? undefined : Number(value));

/** The filter part alone (the live count asks for it as it is typed). */
export function toGatewayFilter(values: RolloutFormValues): GatewayFilterDto {
  const filter: GatewayFilterDto = {};
  if (values.companyId) filter.companyId = values.companyId;
  if (values.tags.length > 0) filter.tags = values.tags.map((tag) => tag.trim().toLowerCase());
  if (values.versions.length > 0) filter.versions = values.versions;
  if (values.online !== 'any') filter.online = values.online === 'online';
  if (values.idPattern.trim()) filter.idPattern = values.idPattern.trim();
  return filter;
}

/** The request as the API takes it; optional parts are left out when switched off or empty. */
export function toCreateRolloutRequest(values: RolloutFormValues): CreateRolloutDto {
  const phases: RolloutPhaseInputDto[] = values.phases.map((phase) => (phase.kind === 'percent' ? { percent: num(phase.value) } : { count: num(phase.value) }));
  const request: CreateRolloutDto = {
    version: values.version ?? '',
    filter: toGatewayFilter(values),
    phases,
    successThreshold: num(values.successPercent) / 100,
    autoAdvance: values.autoAdvance,
    continuous: values.continuous,
  };
  if (values.abortEnabled) request.abort = { failureRate: num(values.abortPercent) / 100, minFinished: num(values.abortMinFinished) };
  const maxPerMinute = optionalNum(values.maxPerMinute);
  if (maxPerMinute !== undefined) request.maxPerMinute = maxPerMinute;
  const jitter = optionalNum(values.jitterSeconds);
  if (jitter) request.jitterSeconds = jitter;
  if (values.windowEnabled) request.window = { days: values.windowDays, from: values.windowFrom, to: values.windowTo, timeZone: values.timeZone };
  if (values.retriesEnabled) request.retries = { max: num(values.retriesMax), backoffSeconds: num(values.retriesBackoffSeconds) };
  return request;
}

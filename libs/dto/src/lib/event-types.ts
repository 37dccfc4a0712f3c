/** Every kind of entry in the event log (SPEC §2). */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.logged-in',
  'user.logged-out',
  'software.deployed',
  'gateway.modified',
  'version.added',
  'version.removed',
  'upgrade.confirmed',
  'upgrade.failed',
  'rollout.created',
  'rollout.paused',
  'rollout.resumed',
  'rollout.cancelled',
  'rollout.approved',
  'rollout.aborted',
  'rollout.finished',
  'gateways.tagged',
  'gateway.company-claimed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

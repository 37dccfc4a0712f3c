import type { EventDto, EventType } from '@upgrade-manager/dto';

export const EVENT_LABELS: Record<EventType, string> = {
  'user.created': 'User created',
  'user.updated': 'User updated',
  'user.logged-in': 'Logged in',
  'user.logged-out': 'Logged out',
  'software.deployed': 'Software deployed',
  'gateway.modified': 'Gateway modified',
  'version.added': 'Version added',
  'version.removed': 'Version removed',
  'upgrade.confirmed': 'Upgrade confirmed',
  'upgrade.failed': 'Upgrade failed',
  'rollout.created': 'Rollout created',
  'rollout.paused': 'Rollout paused',
  'rollout.resumed': 'Rollout resumed',
  'rollout.cancelled': 'Rollout cancelled',
  'rollout.approved': 'Rollout phase approved',
  'rollout.aborted': 'Rollout aborted',
  'rollout.finished': 'Rollout finished',
  'gateways.tagged': 'Gateways tagged',
  'gateway.company-claimed': 'Gateway claimed another company',
};

export const EVENT_COLORS: Partial<Record<EventType, string>> = {
  'upgrade.confirmed': 'teal',
  'upgrade.failed': 'red',
  'gateway.company-claimed': 'red',
  'software.deployed': 'indigo',
  'version.added': 'grape',
  'version.removed': 'orange',
  'rollout.aborted': 'red',
  'rollout.finished': 'teal',
};

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value))
    return value.length > 5 ? `${value.slice(0, 5).map(describeValue).join(', ')} … (${value.length})` : value.map(describeValue).join(', ');
  // Changes are shown by field name; the values can be long.
  if (typeof value === 'object') return Object.keys(value).join(', ');
  return String(value);
}

/** One line of what the details of an event say ("version: 1.2 · changes: name, address"). */
export function describeDetails(event: Pick<EventDto, 'details'>): string {
  return Object.entries(event.details ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${describeValue(value)}`)
    .join(' · ');
}

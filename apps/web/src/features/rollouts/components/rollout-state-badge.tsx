import { Badge } from '@mantine/core';
import type { RolloutState } from '@upgrade-manager/dto';

const COLORS: Record<RolloutState, string> = {
  scheduled: 'gray',
  running: 'blue',
  'waiting-approval': 'yellow',
  paused: 'orange',
  aborted: 'red',
  cancelled: 'gray',
  finished: 'teal',
};

export function RolloutStateBadge({ state }: { state: RolloutState }) {
  return (
    <Badge color={COLORS[state]} data-testid="rollout-state">
      {state.replace('-', ' ')}
    </Badge>
  );
}

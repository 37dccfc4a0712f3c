import type { RolloutAction, RolloutState } from '@upgrade-manager/dto';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Users look at rollouts; admins run them in their own company, super users anywhere (SPEC §2, §5). */
export function assertCanRunRollouts(principal: Principal): void {
  if (principal.role === 'user') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Users cannot run rollouts');
}

/** The company scope a rollout may be seen in: its own company, or the super company's for one across companies. */
export function canSeeRollout(principal: Principal, rolloutCompanyId: string | null): boolean {
  return principal.role === 'super' || rolloutCompanyId === principal.companyId;
}

const ACTIONS_BY_STATE: Record<RolloutState, RolloutAction[]> = {
  scheduled: ['pause', 'cancel'],
  running: ['pause', 'cancel'],
  'waiting-approval': ['approve', 'pause', 'cancel'],
  paused: ['resume', 'cancel'],
  aborted: [],
  cancelled: [],
  finished: [],
};

/** What the principal may do to a rollout in this state. */
export function allowedActions(principal: Principal, state: RolloutState): RolloutAction[] {
  return principal.role === 'user' ? [] : ACTIONS_BY_STATE[state];
}

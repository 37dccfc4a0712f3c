import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { RolloutDetailDto, RolloutState } from '@upgrade-manager/dto';
import { authenticated } from '../../../testing/auth-handler';
import { company, list, version } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

const counts = (values: Partial<RolloutDetailDto['counts']>) => ({ waiting: 0, starting: 0, pending: 0, confirmed: 0, failed: 0, skipped: 0, ...values });

function rollout(state: RolloutState, overrides: Partial<RolloutDetailDto> = {}): RolloutDetailDto {
  return {
    id: 'r1',
    version: '1.1',
    state,
    stateReason: null,
    companyId: '2',
    filter: { tags: ['canary'] },
    successThreshold: 1,
    autoAdvance: false,
    abort: null,
    maxPerMinute: null,
    jitterSeconds: 0,
    window: null,
    retries: null,
    continuous: false,
    deploymentId: null,
    currentPhase: 0,
    targets: 10,
    counts: counts({ confirmed: 2, waiting: 8 }),
    createdBy: { userId: 'u-admin', email: 'admin@example.com' },
    createdAt: '2026-01-01T12:00:00.000Z',
    startedAt: '2026-01-01T12:00:01.000Z',
    finishedAt: null,
    actions: state === 'waiting-approval' ? ['approve', 'pause', 'cancel'] : state === 'running' ? ['pause', 'cancel'] : [],
    phases: [
      { percent: 20, count: null, state: 'running', targets: 2, counts: counts({ confirmed: 2 }), startedAt: '2026-01-01T12:00:01.000Z', finishedAt: null },
      { percent: 100, count: null, state: 'pending', targets: 8, counts: counts({ waiting: 8 }), startedAt: null, finishedAt: null },
    ],
    failures: [],
    secondsLeft: null,
    ...overrides,
  };
}

describe('rollout pages', () => {
  it('lists rollouts with their state, linking to each', async () => {
    mockApi({ 'GET /api/auth/me': authenticated, 'GET /api/rollouts': () => list([rollout('running')]) });
    renderApp('/rollouts', { loggedInAs: 'admin' });
    const row = await screen.findByTestId('rollout-row-r1');
    expect(within(row).getByTestId('rollout-state')).toHaveTextContent('running');
    expect(within(row).getByRole('link', { name: 'Version 1.1' })).toHaveAttribute('href', '/rollouts/r1');
  });

  it('shows phases with their counts, and only the actions the API allows; approving posts the action', async () => {
    let current = rollout('waiting-approval', {
      stateReason: 'phase 1 reached its success threshold',
      failures: [{ gatewayId: 'gw-9', companyId: '2', reason: 'reported-version 0.5', attempts: 1 }],
    });
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/rollouts/:id': () => current,
      'POST /api/rollouts/:id/approve': () => (current = rollout('running', { currentPhase: 1 })),
    });
    renderApp('/rollouts/r1', { loggedInAs: 'admin' });
    expect(await screen.findByTestId('state-reason')).toHaveTextContent('phase 1 reached its success threshold');
    expect(screen.getByTestId('phase-1-confirmed')).toHaveTextContent('2 confirmed');
    expect(screen.getByTestId('phase-2-waiting')).toHaveTextContent('8 waiting');
    expect(screen.getByRole('table', { name: 'Failures' })).toHaveTextContent('reported-version 0.5');
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Approve next phase' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/rollouts/r1/approve')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('rollout-state')).toHaveTextContent('running'));
    expect(screen.queryByRole('button', { name: 'Approve next phase' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
  });

  it('shows no action buttons when the API offers none', async () => {
    mockApi({ 'GET /api/auth/me': authenticated, 'GET /api/rollouts/:id': () => rollout('finished') });
    renderApp('/rollouts/r1', { loggedInAs: 'admin' });
    await screen.findByTestId('phase-1');
    expect(screen.queryAllByRole('button', { name: /Pause|Resume|Cancel|Approve/ })).toEqual([]);
  });

  it('counts matching gateways live while the filter is typed, and starts the rollout it describes', async () => {
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/versions': () => list([version({ version: '1.1', latest: true })]),
      'GET /api/companies': () => list([company('1', 'Operator'), company('2', 'Two Corp')]),
      'POST /api/gateways/match': ({ body }) => {
        const filter = (body as { filter: { tags?: string[] } }).filter;
        return filter.tags ? { total: 3, companies: [{ companyId: '2', count: 3 }] } : { total: 40, companies: [{ companyId: '2', count: 40 }] };
      },
      'POST /api/rollouts': () => reply(201, rollout('scheduled')),
      'GET /api/rollouts/:id': () => rollout('scheduled'),
    });
    renderApp('/rollouts/new', { loggedInAs: 'super' });
    expect(await screen.findByTestId('match-count', {}, { timeout: 5000 })).toHaveTextContent('40 gateways match now (Two Corp (2): 40)');
    await userEvent.type(screen.getByRole('textbox', { name: 'Tags (all of them)' }), 'canary{Enter}');
    await waitFor(() => expect(screen.getByTestId('match-count')).toHaveTextContent('3 gateways match now'), { timeout: 3000 });

    await userEvent.click(screen.getByRole('button', { name: 'Start rollout' }));
    expect(api.callsTo('POST', '/api/rollouts')).toHaveLength(0);
    expect(await screen.findByText(/version must be a dotted number/i)).toBeInTheDocument();

    const versionInput = screen.getByRole('textbox', { name: /^Version/ });
    await userEvent.click(versionInput);
    await waitFor(() => expect(versionInput.getAttribute('aria-controls')).toBeTruthy());
    const options = document.getElementById(versionInput.getAttribute('aria-controls') ?? '') as HTMLElement;
    await userEvent.click(within(options).getByText('1.1 (latest)'));
    await userEvent.click(screen.getByRole('switch', { name: /Advance automatically/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Start rollout' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/rollouts')).toHaveLength(1));
    expect(api.callsTo('POST', '/api/rollouts')[0].body).toEqual({
      version: '1.1',
      filter: { tags: ['canary'] },
      phases: [{ percent: 10 }, { percent: 100 }],
      successThreshold: 1,
      autoAdvance: false,
      continuous: false,
      abort: { failureRate: 0.2, minFinished: 5 },
    });
    expect(await screen.findByRole('heading', { name: 'Rollout of version 1.1' }, { timeout: 5000 })).toBeInTheDocument();
  });
});

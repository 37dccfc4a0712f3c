import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import { authenticated } from '../../../testing/auth-handler';
import { FakeEventSource } from '../../../testing/fake-event-source';
import { company, gateway, list, version } from '../../../testing/fixtures';
import { type MockRequest, mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

const fleet = {
  '2': [
    gateway({ gatewayId: 'two-a', companyId: '2', tags: ['canary', 'zurich'] }),
    gateway({ gatewayId: 'two-b', companyId: '2', online: false }),
    gateway({ gatewayId: 'two-off', companyId: '2', enabled: false }),
  ],
  '3': [gateway({ gatewayId: 'three-a', companyId: '3' })],
} as Record<string, ReturnType<typeof gateway>[]>;

function gatewaysFor(request: MockRequest) {
  const companyId = request.url.searchParams.get('companyId');
  const all = companyId ? (fleet[companyId] ?? []) : Object.values(fleet).flat();
  const pageSize = Number(request.url.searchParams.get('pageSize') ?? 50);
  return list(all.slice(0, pageSize), all.length);
}

function fleetApi(overrides: Record<string, (request: MockRequest) => unknown> = {}) {
  let deploymentState = { pending: 3, confirmed: 0 };
  const api = mockApi({
    'GET /api/auth/me': authenticated,
    'GET /api/companies': () => list([company('1', 'Operator'), company('2', 'Two Corp'), company('3', 'Three Ltd')]),
    'GET /api/gateways': gatewaysFor,
    'GET /api/versions': () => list([version({ version: '1.1', latest: true }), version({ version: '1.0' })]),
    'GET /api/deployments': () => list([]),
    'POST /api/deployments': ({ body }) =>
      reply(201, { id: (body as { companyId?: string }).companyId ? 'dep-company' : 'dep-some', version: '1.1', targets: [] }),
    'GET /api/deployments/:id': ({ params }) => ({
      id: params.id,
      version: '1.1',
      scope: 'gateways',
      companyIds: ['2', '3'],
      createdBy: null,
      createdAt: '2026-01-01T12:00:00.000Z',
      counts: { total: 3, failed: 0, ...deploymentState },
      targets: [],
    }),
    ...overrides,
  });
  return { api, confirmAll: () => (deploymentState = { pending: 0, confirmed: 3 }) };
}

describe('UpgradePage', () => {
  it('groups gateways by company for a super user and keeps filters in the request', async () => {
    const { api } = fleetApi();
    renderApp('/upgrade?upgradeStatus=pending', { loggedInAs: 'super' });
    const two = await screen.findByTestId('company-section-2');
    expect(within(two).getByText('Two Corp (2)')).toBeInTheDocument();
    expect(await within(two).findByText('3 gateways')).toBeInTheDocument();
    expect(await screen.findByTestId('gateway-row-two-a')).toBeInTheDocument();
    const tableRequest = api.calls.find(
      (call) => call.url.pathname === '/api/gateways' && call.url.searchParams.get('pageSize') === '50' && call.url.searchParams.get('companyId') === '2',
    );
    expect(tableRequest?.url.searchParams.get('upgradeStatus')).toBe('pending');
    expect(tableRequest?.url.searchParams.get('sort')).toBe('gatewayId');
    // A disabled gateway cannot be picked.
    expect(screen.getByRole('checkbox', { name: 'Select two-off' })).toBeDisabled();
  });

  it('confirms how many gateways of which companies, deploys, and follows the progress live', async () => {
    const { api, confirmAll } = fleetApi();
    renderApp('/upgrade', { loggedInAs: 'super' });
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Select three-a' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select every gateway of company 2' }));
    expect(screen.getByTestId('selection-summary')).toHaveTextContent('4 gateways selected in 2 companies');

    await userEvent.click(screen.getByRole('button', { name: 'Deploy…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Confirm the deployment' });
    expect(within(dialog).getByTestId('confirm-total')).toHaveTextContent('4 gateways');
    expect(within(dialog).getByTestId('confirm-parts')).toHaveTextContent('3 of Two Corp (2) (the whole company)');
    expect(within(dialog).getByTestId('confirm-parts')).toHaveTextContent('1 of Three Ltd (3)');

    await userEvent.click(within(dialog).getByRole('button', { name: 'Deploy 1.1 to 4 gateways' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/deployments')).toHaveLength(2));
    expect(api.callsTo('POST', '/api/deployments').map((call) => call.body)).toEqual([
      { version: '1.1', companyId: '2' },
      { version: '1.1', gatewayIds: ['three-a'] },
    ]);
    const progress = await screen.findByTestId('deployment-dep-company');
    expect(within(progress).getByTestId('count-pending')).toHaveTextContent('3 pending');
    expect(screen.getByTestId('selection-summary')).toHaveTextContent('No gateway selected');

    // A live event refreshes the deployment without a reload.
    confirmAll();
    act(() => FakeEventSource.latest().emit({ type: 'deployment.target-updated', companyId: '2', data: {} }));
    await waitFor(() => expect(within(progress).getByTestId('count-confirmed')).toHaveTextContent('3 confirmed'), { timeout: 3000 });
  });

  it('shows the API’s refusal in the confirmation', async () => {
    fleetApi({ 'POST /api/deployments': () => reply(409, { statusCode: 409, message: 'Gateway two-b is disabled' }) });
    renderApp('/upgrade', { loggedInAs: 'super' });
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Select two-b' }));
    await userEvent.click(screen.getByRole('button', { name: 'Deploy…' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Deploy 1.1 to 1 gateway' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Gateway two-b is disabled');
  });

  it('shows an admin only its own company, without the "every gateway" choice', async () => {
    const { api } = fleetApi({ 'GET /api/companies': () => list([company('2', 'Two Corp')]), 'GET /api/gateways': () => list(fleet['2']) });
    renderApp('/upgrade', { loggedInAs: 'admin' });
    expect(await screen.findByTestId('gateway-row-two-a')).toBeInTheDocument();
    expect(screen.queryByTestId('company-section-3')).not.toBeInTheDocument();
    expect(screen.queryByRole('checkbox', { name: 'Every gateway of every company' })).not.toBeInTheDocument();
    expect(api.callsTo('GET', '/api/gateways').every((call) => !call.url.searchParams.has('companyId'))).toBe(true);
  });

  it('shows the tags of each gateway and filters by tag on the server', async () => {
    const { api } = fleetApi();
    renderApp('/upgrade?tag=canary', { loggedInAs: 'admin' });
    const row = await screen.findByTestId('gateway-row-two-a');
    expect(within(row).getByLabelText('Tags of two-a')).toHaveTextContent('canaryzurich');
    const tableRequests = api.callsTo('GET', '/api/gateways').filter((call) => call.url.searchParams.get('pageSize') === '50');
    expect(tableRequests.length).toBeGreaterThan(0);
    expect(tableRequests.every((call) => call.url.searchParams.get('tag') === 'canary')).toBe(true);
    expect(screen.getByRole('textbox', { name: 'Tag' })).toHaveValue('canary');
  });

  it('sorts on the server when a column header is clicked', async () => {
    const { api } = fleetApi();
    renderApp('/upgrade', { loggedInAs: 'admin' });
    await screen.findByTestId('gateway-row-two-a');
    await userEvent.click(screen.getByRole('button', { name: /Last seen/ }));
    await waitFor(() =>
      expect(api.calls.some((call) => call.url.searchParams.get('sort') === 'lastSeenAt' && call.url.searchParams.get('order') === 'desc')).toBe(true),
    );
  });
});

import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { GatewayDto } from '@upgrade-manager/dto';
import { authenticated } from '../../../testing/auth-handler';
import { event, gateway } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

function gatewayApi(overrides: Partial<GatewayDto> = {}) {
  let stored: GatewayDto = gateway({
    ...overrides,
    gatewayId: 'gw-7',
    name: 'Pump house',
    address: 'Main St 1',
    latitude: 47.5,
    longitude: 8.7,
    upgrade: { version: '1.1', status: 'confirmed', deploymentId: 'd1' },
    ...overrides,
  });
  return mockApi({
    'GET /api/auth/me': authenticated,
    'GET /api/gateways/:gatewayId': ({ params }) => (params.gatewayId === 'gw-7' ? stored : reply(404, { statusCode: 404, message: 'Gateway not found' })),
    'PATCH /api/gateways/:gatewayId': ({ body }) => (stored = { ...stored, ...(body as Partial<GatewayDto>) }),
    'POST /api/gateways/:gatewayId/accept': () => (stored = { ...stored, admission: 'accepted' }),
    'GET /api/gateways/:gatewayId/history': () => ({
      deployments: [
        { deploymentId: 'd1', version: '1.1', status: 'confirmed', reason: null, createdAt: '2026-01-01T10:00:00.000Z', updatedAt: '2026-01-01T10:01:00.000Z' },
      ],
      events: [event({ id: 'e1', type: 'upgrade.confirmed', gatewayId: 'gw-7', actor: null, details: { version: '1.1' } })],
    }),
  });
}

describe('GatewayDetailPage', () => {
  it('shows the gateway and its history', async () => {
    gatewayApi();
    renderApp('/gateways/gw-7', { loggedInAs: 'user' });
    expect(await screen.findByRole('heading', { name: 'Pump house' })).toBeInTheDocument();
    expect(screen.getByText('47.5, 8.7')).toBeInTheDocument();
    const deployments = await screen.findByRole('table', { name: 'Deployments to this gateway' });
    expect(within(deployments).getByText('confirmed 1.1')).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'Events' })).getByText('Upgrade confirmed')).toBeInTheDocument();
    // A plain user only looks.
    expect(screen.queryByRole('form', { name: 'Edit gateway' })).not.toBeInTheDocument();
  });

  it('saves only the changed fields, and clears a field left empty', async () => {
    const api = gatewayApi();
    renderApp('/gateways/gw-7', { loggedInAs: 'admin' });
    const form = await screen.findByRole('form', { name: 'Edit gateway' });
    await userEvent.clear(within(form).getByLabelText('Name'));
    await userEvent.type(within(form).getByLabelText('Name'), 'Pump house 2');
    await userEvent.clear(within(form).getByLabelText('Address'));
    await userEvent.click(within(form).getByRole('switch'));
    await userEvent.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(api.callsTo('PATCH', '/api/gateways/gw-7')).toHaveLength(1));
    expect(api.callsTo('PATCH', '/api/gateways/gw-7')[0].body).toEqual({ name: 'Pump house 2', address: null, enabled: false });
    expect(await screen.findByRole('heading', { name: 'Pump house 2' })).toBeInTheDocument();
  });

  it('explains an out-of-range position with the DTO’s rule and sends nothing', async () => {
    const api = gatewayApi();
    renderApp('/gateways/gw-7', { loggedInAs: 'super' });
    const form = await screen.findByRole('form', { name: 'Edit gateway' });
    await userEvent.clear(within(form).getByLabelText('Latitude'));
    await userEvent.type(within(form).getByLabelText('Latitude'), '91');
    await userEvent.click(within(form).getByRole('button', { name: 'Save changes' }));
    expect(within(form).getByText('Latitude must not be greater than 90.')).toBeInTheDocument();
    expect(api.callsTo('PATCH', '/api/gateways/gw-7')).toHaveLength(0);
  });

  it('says so when the gateway does not exist or belongs to another company', async () => {
    gatewayApi();
    renderApp('/gateways/other', { loggedInAs: 'admin' });
    expect(await screen.findByRole('heading', { name: 'Gateway not found' })).toBeInTheDocument();
  });

  it('lets a super user move the gateway to another company; an admin sees no such field', async () => {
    const api = gatewayApi();
    renderApp('/gateways/gw-7', { loggedInAs: 'super' });
    const form = await screen.findByRole('form', { name: 'Edit gateway' });
    await userEvent.clear(within(form).getByLabelText('Company'));
    await userEvent.type(within(form).getByLabelText('Company'), '3');
    await userEvent.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(api.callsTo('PATCH', '/api/gateways/gw-7')).toHaveLength(1));
    expect(api.callsTo('PATCH', '/api/gateways/gw-7')[0].body).toEqual({ companyId: '3' });
  });

  it('hides the company field from admins', async () => {
    gatewayApi();
    renderApp('/gateways/gw-7', { loggedInAs: 'admin' });
    const form = await screen.findByRole('form', { name: 'Edit gateway' });
    expect(within(form).queryByLabelText('Company')).not.toBeInTheDocument();
  });

  it('shows a waiting gateway and lets an admin accept it', async () => {
    const api = gatewayApi({ admission: 'pending' });
    renderApp('/gateways/gw-7', { loggedInAs: 'admin' });
    expect(await screen.findByText('Waiting for approval')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Accept gateway' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/gateways/gw-7/accept')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByText('Waiting for approval')).not.toBeInTheDocument());
  });
});

import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { authenticated } from '../../../testing/auth-handler';
import { event, list, user } from '../../../testing/fixtures';
import { mockApi } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

describe('EventsPage', () => {
  it('filters by type and gateway on the server, with the filters in the URL', async () => {
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/users': () => list([user({ id: 'u-admin', email: 'admin@two.example', role: 'admin', companyId: '2' })]),
      'GET /api/events': ({ url }) =>
        url.searchParams.get('gatewayId') === 'none-such'
          ? list([])
          : list([event({ id: 'e1', type: 'gateway.modified', gatewayId: 'gw-1', details: { changes: { name: 'x', address: 'y' } } })], 120),
    });
    const { router } = renderApp('/events?type=gateway.modified', { loggedInAs: 'admin' });
    const table = await screen.findByRole('table', { name: 'Events' });
    expect(within(table).getByText('changes: name, address')).toBeInTheDocument();
    expect(screen.getByText('120 events')).toBeInTheDocument();
    expect(api.callsTo('GET', '/api/events')[0].url.searchParams.get('type')).toBe('gateway.modified');
    expect(api.callsTo('GET', '/api/events')[0].url.searchParams.get('limit')).toBe('50');

    await userEvent.type(screen.getByLabelText('Gateway id'), 'none-such{Enter}');
    expect(await screen.findByRole('heading', { name: 'No event matches these filters' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?type=gateway.modified&gatewayId=none-such');

    await userEvent.click(screen.getByRole('button', { name: 'Clear all filters' }));
    await waitFor(() => expect(router.state.location.search).toBe(''));
  });

  it('does not offer a user filter to a plain user (it cannot list users)', async () => {
    const api = mockApi({ 'GET /api/auth/me': authenticated, 'GET /api/events': () => list([]) });
    renderApp('/events', { loggedInAs: 'user' });
    expect(await screen.findByRole('heading', { name: 'No events yet' })).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'User' })).not.toBeInTheDocument();
    expect(api.callsTo('GET', '/api/users')).toHaveLength(0);
  });
});

import { screen, within } from '@testing-library/react';
import { authenticated } from '../../../testing/auth-handler';
import { event, gateway, list, version } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

describe('DashboardPage', () => {
  it('shows totals, the version distribution, pending upgrades and recent events', async () => {
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/gateways/summary': () => ({
        total: 12,
        online: 9,
        offline: 3,
        pendingUpgrades: 2,
        versions: [
          { version: '1.1', count: 4 },
          { version: '0.5', count: 8 },
        ],
      }),
      'GET /api/versions': () => list([version({ version: '1.1', latest: true }), version({ version: '0.5' })]),
      'GET /api/gateways': () =>
        list(
          [
            gateway({ gatewayId: 'gw-1', upgrade: { version: '1.1', status: 'pending', deploymentId: 'd1' } }),
            gateway({ gatewayId: 'gw-2', upgrade: { version: '1.1', status: 'pending', deploymentId: 'd1' } }),
          ],
          2,
        ),
      'GET /api/events': () => list([event({ id: 'e1', type: 'software.deployed', gatewayId: 'gw-1', details: { version: '1.1' } })]),
    });
    renderApp('/', { loggedInAs: 'admin' });

    expect(await screen.findByTestId('stat-gateways')).toHaveTextContent('12');
    expect(screen.getByTestId('stat-online')).toHaveTextContent('9');
    expect(screen.getByText('3 offline')).toBeInTheDocument();
    expect(screen.getByTestId('stat-pending-upgrades')).toHaveTextContent('2');
    expect(screen.getByTestId('stat-latest-version')).toHaveTextContent('1.1');
    expect(screen.getByRole('img', { name: 'Gateways per version: 0.5: 8, 1.1: 4' })).toBeInTheDocument();

    const pending = await screen.findByRole('table', { name: 'Pending upgrades' });
    expect(within(pending).getByRole('link', { name: 'gw-1' })).toHaveAttribute('href', '/gateways/gw-1');
    expect(api.callsTo('GET', '/api/gateways')[0].url.searchParams.get('upgradeStatus')).toBe('pending');

    const events = await screen.findByRole('table', { name: 'Events' });
    expect(within(events).getByText('Software deployed')).toBeInTheDocument();
    expect(within(events).getByText('version: 1.1')).toBeInTheDocument();
  });

  it('explains how gateways appear when there are none', async () => {
    mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/gateways/summary': () => ({ total: 0, online: 0, offline: 0, pendingUpgrades: 0, versions: [] }),
      'GET /api/versions': () => list([]),
      'GET /api/events': () => list([]),
    });
    renderApp('/', { loggedInAs: 'user' });
    expect(await screen.findByRole('heading', { name: 'No gateways yet' })).toBeInTheDocument();
    expect(screen.getByText(/first Status message/)).toBeInTheDocument();
    expect(await screen.findByText('Nothing has happened yet.')).toBeInTheDocument();
  });

  it('says what failed and offers to try again', async () => {
    mockApi({
      'GET /api/auth/me': authenticated,
      'GET /api/gateways/summary': () => reply(503, { statusCode: 503, message: 'Database unavailable' }),
      'GET /api/versions': () => list([]),
      'GET /api/events': () => list([]),
    });
    renderApp('/', { loggedInAs: 'user' });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cannot load the fleet summary');
    expect(alert).toHaveTextContent('Database unavailable');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});

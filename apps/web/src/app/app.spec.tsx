import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import { authenticated } from '../testing/auth-handler';
import { FakeEventSource } from '../testing/fake-event-source';
import { mockApi, reply } from '../testing/mock-api';
import { renderApp, testUsers } from '../testing/render-app';

describe('app shell: login, roles, live stream', () => {
  it('sends a visitor without a session to the login page and back to the page asked for', async () => {
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'POST /api/auth/login': ({ body }) => {
        const { email, password } = body as { email: string; password: string };
        return email === 'super@example.com' && password === 'right-password'
          ? { accessToken: 'test-token-super', user: testUsers.super }
          : reply(401, { statusCode: 401, message: 'Invalid credentials' });
      },
    });
    const { router } = renderApp('/companies');

    await screen.findByRole('button', { name: 'Log in' });
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('?redirectTo=%2Fcompanies');

    await userEvent.type(screen.getByLabelText(/Email/), 'super@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password');

    await userEvent.clear(screen.getByLabelText(/Password/));
    await userEvent.type(screen.getByLabelText(/Password/), 'right-password');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/companies'));
    expect(await screen.findByText('Sue Super')).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/auth/login')).toHaveLength(2);
  });

  it('asks for both fields before calling the API', async () => {
    const api = mockApi({ 'GET /api/auth/me': authenticated });
    renderApp('/login');
    await userEvent.click(await screen.findByRole('button', { name: 'Log in' }));
    expect(screen.getByText('Enter the email address of your account.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/auth/login')).toHaveLength(0);
  });

  it('skips the login page when the API runs without login (development mode)', async () => {
    mockApi({ 'GET /api/auth/me': () => testUsers.super });
    const { router } = renderApp('/login');
    expect(await screen.findByText('Development mode')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/');
    expect(screen.queryByRole('button', { name: 'Log out' })).not.toBeInTheDocument();
  });

  it('never shows a user the upgrade, users or companies pages, and says "not allowed" for a typed URL', async () => {
    mockApi({ 'GET /api/auth/me': authenticated });
    renderApp('/upgrade', { loggedInAs: 'user' });
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
    for (const hidden of ['Upgrade', 'Users', 'Companies']) expect(within(nav).queryByRole('link', { name: hidden })).not.toBeInTheDocument();
  });

  it('shows an admin the upgrade and users pages but not the companies page', async () => {
    mockApi({ 'GET /api/auth/me': authenticated });
    renderApp('/companies', { loggedInAs: 'admin' });
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: 'Upgrade' })).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Users' })).toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Companies' })).not.toBeInTheDocument();
  });

  it('logs out and returns to the login page', async () => {
    const api = mockApi({ 'GET /api/auth/me': authenticated, 'POST /api/auth/logout': () => reply(204) });
    const { router } = renderApp('/profile', { loggedInAs: 'admin' });
    await userEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(api.callsTo('POST', '/api/auth/logout')).toHaveLength(1);
    expect(window.localStorage.length).toBe(0);
  });

  it('opens the live stream with the token and announces a new version', async () => {
    mockApi({ 'GET /api/auth/me': authenticated });
    renderApp('/profile', { loggedInAs: 'super' });
    await screen.findByText('Sue Super');
    const source = FakeEventSource.latest();
    expect(source.url).toBe('/api/stream?access_token=test-token-super');
    act(() => source.open());
    expect(screen.getByTestId('live-status')).toHaveTextContent('Live');
    act(() => source.emit({ type: 'version.added', companyId: null, data: { version: '2.1' } }));
    expect(await screen.findByText('Version 2.1 can now be deployed.')).toBeInTheDocument();
  });

  it('shows "page not found" for an unknown address', async () => {
    mockApi({ 'GET /api/auth/me': authenticated });
    renderApp('/no/such/page', { loggedInAs: 'user' });
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
  });
});

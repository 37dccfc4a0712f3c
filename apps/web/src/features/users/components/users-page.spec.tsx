import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { authenticated } from '../../../testing/auth-handler';
import { company, list, user } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

function usersApi() {
  return mockApi({
    'GET /api/auth/me': authenticated,
    'GET /api/companies': () => list([company('1', 'Operator'), company('2', 'Two Corp'), company('3', 'Three Ltd')]),
    'GET /api/users': () =>
      list([
        user({ id: 'u-super', email: 'super@example.com', role: 'super', companyId: '1' }),
        user({ id: 'u-admin', email: 'admin@two.example', role: 'admin', companyId: '2' }),
        user({ id: 'u-3', email: 'olga@two.example', role: 'user', companyId: '2' }),
      ]),
    'POST /api/users': ({ body }) => reply(201, { ...(body as object), id: 'new', enabled: true, createdAt: '', updatedAt: '' }),
    'PATCH /api/users/:id': ({ params, body }) => ({
      ...user({ id: params.id, email: 'olga@two.example', role: 'user', companyId: '2' }),
      ...(body as object),
    }),
  });
}

/** Opens a Mantine Select and returns its own option list (closed ones linger during their transition). */
async function openSelect(container: HTMLElement, label: string) {
  const input = within(container).getByRole('textbox', { name: label });
  await userEvent.click(input);
  await waitFor(() => expect(input.getAttribute('aria-controls')).toBeTruthy());
  return document.getElementById(input.getAttribute('aria-controls') ?? '') as HTMLElement;
}

describe('UsersPage', () => {
  it('lets an admin create users of its own company, never a super user', async () => {
    const api = usersApi();
    renderApp('/users', { loggedInAs: 'admin' });
    await screen.findByText('olga@two.example');
    // An admin cannot edit a super user.
    expect(screen.queryByRole('button', { name: 'Edit super@example.com' })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'New user' }));
    const dialog = await screen.findByRole('dialog', { name: 'New user' });
    const roles = await openSelect(dialog, 'Role');
    expect(within(roles).queryByText(/Super user/)).not.toBeInTheDocument();
    await userEvent.click(within(roles).getByText(/Admin/));
    expect(within(dialog).getByLabelText('Company')).toBeDisabled();

    await userEvent.type(within(dialog).getByLabelText(/Email/), 'new@two.example');
    await userEvent.type(within(dialog).getByLabelText(/^Name/), 'Nina New');
    await userEvent.type(within(dialog).getByLabelText(/^Password/), 'long-enough-password');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create user' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/users')).toHaveLength(1));
    expect(api.callsTo('POST', '/api/users')[0].body).toEqual({
      email: 'new@two.example',
      name: 'Nina New',
      password: 'long-enough-password',
      role: 'admin',
      companyId: '2',
    });
  });

  it('shows the DTO’s messages for a bad email and a short password', async () => {
    const api = usersApi();
    renderApp('/users', { loggedInAs: 'admin' });
    await userEvent.click(await screen.findByRole('button', { name: 'New user' }));
    const dialog = await screen.findByRole('dialog', { name: 'New user' });
    await userEvent.type(within(dialog).getByLabelText(/Email/), 'nope');
    await userEvent.type(within(dialog).getByLabelText(/^Name/), 'N');
    await userEvent.type(within(dialog).getByLabelText(/^Password/), 'short');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create user' }));
    expect(within(dialog).getByText('Email must be an email.')).toBeInTheDocument();
    expect(within(dialog).getByText(/Password must be longer than or equal to 8 characters/)).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/users')).toHaveLength(0);
  });

  it('lets a super user move a user to another company and change its role', async () => {
    const api = usersApi();
    renderApp('/users', { loggedInAs: 'super' });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit olga@two.example' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit olga@two.example' });
    await userEvent.click(within(await openSelect(dialog, 'Role')).getByText(/Admin/));
    await userEvent.click(within(await openSelect(dialog, 'Company')).getByText('Three Ltd (3)'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.callsTo('PATCH', '/api/users/u-3')).toHaveLength(1));
    expect(api.callsTo('PATCH', '/api/users/u-3')[0].body).toEqual({ role: 'admin', companyId: '3' });
  });
});

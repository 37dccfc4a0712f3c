import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { authenticated } from '../../../testing/auth-handler';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp, testUsers } from '../../../testing/render-app';

describe('ProfilePage', () => {
  it('changes the password with the current one, after checking the repeat', async () => {
    const api = mockApi({
      'GET /api/auth/me': authenticated,
      'PATCH /api/auth/me': ({ body }) =>
        (body as { currentPassword?: string }).currentPassword === 'old-password'
          ? testUsers.user
          : reply(403, { statusCode: 403, message: 'The current password is wrong' }),
    });
    renderApp('/profile', { loggedInAs: 'user' });
    const form = await screen.findByRole('form', { name: 'Password' });
    await userEvent.type(within(form).getByLabelText('Current password'), 'wrong');
    await userEvent.type(within(form).getByLabelText(/^New password/), 'new-password-1');
    await userEvent.type(within(form).getByLabelText('Repeat the new password'), 'new-password-2');
    await userEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(within(form).getByText('The two new passwords differ.')).toBeInTheDocument();
    expect(api.callsTo('PATCH', '/api/auth/me')).toHaveLength(0);

    await userEvent.clear(within(form).getByLabelText('Repeat the new password'));
    await userEvent.type(within(form).getByLabelText('Repeat the new password'), 'new-password-1');
    await userEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('The current password is wrong');
    expect(api.callsTo('PATCH', '/api/auth/me')[0].body).toEqual({ password: 'new-password-1', currentPassword: 'wrong' });
  });

  it('renames the user and shows the new name in the header', async () => {
    mockApi({ 'GET /api/auth/me': authenticated, 'PATCH /api/auth/me': ({ body }) => ({ ...testUsers.admin, ...(body as object) }) });
    renderApp('/profile', { loggedInAs: 'admin' });
    const form = await screen.findByRole('form', { name: 'Name' });
    await userEvent.clear(within(form).getByLabelText('Name'));
    await userEvent.type(within(form).getByLabelText('Name'), 'Ada Lovelace');
    await userEvent.click(within(form).getByRole('button', { name: 'Save name' }));
    await waitFor(() => expect(screen.getByRole('banner')).toHaveTextContent('Ada Lovelace'));
  });
});

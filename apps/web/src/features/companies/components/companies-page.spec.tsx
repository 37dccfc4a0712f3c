import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { authenticated } from '../../../testing/auth-handler';
import { company, list } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';

function companiesApi() {
  return mockApi({
    'GET /api/auth/me': authenticated,
    'GET /api/companies': () => list([company('1', 'Operator'), company('2', 'Company 2')]),
    'POST /api/companies': ({ body }) => reply(201, company((body as { companyId: string }).companyId, (body as { name: string }).name)),
    'PATCH /api/companies/:companyId': ({ params, body }) => ({ ...company(params.companyId, 'Company 2'), ...(body as object) }),
  });
}

describe('CompaniesPage', () => {
  it('creates a company after checking its id', async () => {
    const api = companiesApi();
    renderApp('/companies', { loggedInAs: 'super' });
    await userEvent.click(await screen.findByRole('button', { name: 'New company' }));
    const dialog = await screen.findByRole('dialog', { name: 'New company' });
    await userEvent.type(within(dialog).getByLabelText(/Company id/), 'has space');
    await userEvent.type(within(dialog).getByLabelText(/^Name/), 'Acme');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create company' }));
    expect(within(dialog).getByText(/Use 1 to 64 letters, digits/)).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/companies')).toHaveLength(0);

    await userEvent.clear(within(dialog).getByLabelText(/Company id/));
    await userEvent.type(within(dialog).getByLabelText(/Company id/), 'acme');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create company' }));
    await waitFor(() => expect(api.callsTo('POST', '/api/companies')).toHaveLength(1));
    expect(api.callsTo('POST', '/api/companies')[0].body).toEqual({ companyId: 'acme', name: 'Acme' });
  });

  it('renames a company created by its first gateway', async () => {
    const api = companiesApi();
    renderApp('/companies', { loggedInAs: 'super' });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit company 2' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit company 2' });
    expect(within(dialog).getByLabelText(/Company id/)).toBeDisabled();
    await userEvent.clear(within(dialog).getByLabelText(/^Name/));
    await userEvent.type(within(dialog).getByLabelText(/^Name/), 'Two Corp');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.callsTo('PATCH', '/api/companies/2')).toHaveLength(1));
    expect(api.callsTo('PATCH', '/api/companies/2')[0].body).toEqual({ name: 'Two Corp' });
  });
});

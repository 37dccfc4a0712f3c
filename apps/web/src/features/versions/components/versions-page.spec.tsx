import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import { authenticated } from '../../../testing/auth-handler';
import { FakeXhr } from '../../../testing/fake-xhr';
import { list, version } from '../../../testing/fixtures';
import { mockApi, reply } from '../../../testing/mock-api';
import { renderApp } from '../../../testing/render-app';
import { nextVersion } from './upload-version-form';

function versionsApi() {
  const stored = [
    version({ version: '1.1', latest: true, size: 3 * 1024 * 1024, sha256: 'f'.repeat(64) }),
    version({ version: '1.0', createdBy: null, source: 'resources' }),
  ];
  return mockApi({
    'GET /api/auth/me': authenticated,
    'GET /api/versions': () => list(stored),
    'DELETE /api/versions/:version': ({ params }) => {
      stored.splice(
        stored.findIndex((item) => item.version === params.version),
        1,
      );
      return reply(204);
    },
  });
}

async function chooseFile(name: string, bytes: number) {
  const input = document.querySelector('input[type="file"]') as HTMLInputElement;
  const file = new File([new Uint8Array(bytes)], name, { type: 'application/octet-stream' });
  await act(async () => {
    fireEvent.change(input, { target: { files: [file] } });
  });
  await screen.findByText(name);
}

describe('VersionsPage', () => {
  beforeEach(() => FakeXhr.install());

  it('lists versions with size and SHA-256, the latest marked', async () => {
    versionsApi();
    renderApp('/versions', { loggedInAs: 'super' });
    const latest = await screen.findByTestId('version-row-1.1');
    expect(within(latest).getByText('latest')).toBeInTheDocument();
    expect(within(latest).getByText('3.0 MiB')).toBeInTheDocument();
    expect(within(latest).getByTitle('f'.repeat(64))).toBeInTheDocument();
    expect(within(screen.getByTestId('version-row-1.0')).getByText('resources folder')).toBeInTheDocument();
    expect(within(screen.getByTestId('version-row-1.0')).queryByText('latest')).not.toBeInTheDocument();
  });

  it('uploads with the version before the file and shows the bytes sent', async () => {
    versionsApi();
    renderApp('/versions', { loggedInAs: 'super' });
    await userEvent.type(await screen.findByLabelText('Version'), '1.2');
    await chooseFile('image-1.2.bin', 4096);
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));

    const xhr = FakeXhr.latest();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/versions');
    expect(xhr.headers['Authorization']).toBe('Bearer test-token-super');
    expect([...(xhr.body as FormData).keys()]).toEqual(['version', 'file']);
    expect((xhr.body as FormData).get('version')).toBe('1.2');

    act(() => xhr.progress(1024, 4096));
    expect(screen.getByTestId('upload-progress')).toHaveTextContent('1.0 KiB of 4.0 KiB sent (25%)');
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '25');
    act(() => xhr.progress(4096, 4096));
    expect(screen.getByTestId('upload-progress')).toHaveTextContent('the server is checking the image');

    act(() => xhr.respond(201, version({ version: '1.2', size: 4096 })));
    expect(await screen.findByText(/Version 1.2 \(4.0 KiB\) is stored/)).toBeInTheDocument();
  });

  it('checks the version number and the file before uploading, and explains a conflict', async () => {
    versionsApi();
    renderApp('/versions', { loggedInAs: 'super' });
    await userEvent.type(await screen.findByLabelText('Version'), 'v2');
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(screen.getByText('Version must be dotted numbers such as 1.0 or 2.10.1.')).toBeInTheDocument();
    expect(screen.getByText('Choose the image file to upload.')).toBeInTheDocument();
    expect(FakeXhr.instances).toHaveLength(0);

    await userEvent.clear(screen.getByLabelText('Version'));
    await userEvent.type(screen.getByLabelText('Version'), '1.1');
    await chooseFile('again.bin', 10);
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    act(() => FakeXhr.latest().respond(409, { statusCode: 409, message: 'Version 1.1 exists.' }));
    expect(await screen.findByText('Version 1.1 exists. Choose another version number.')).toBeInTheDocument();
  });

  it('deletes a version only after confirmation', async () => {
    const api = versionsApi();
    renderApp('/versions', { loggedInAs: 'super' });
    await userEvent.click(within(await screen.findByTestId('version-row-1.0')).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete version 1.0?' });
    expect(within(dialog).getByText('This cannot be undone.')).toBeInTheDocument();
    expect(api.callsTo('DELETE', '/api/versions/1.0')).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete version 1.0' }));
    await waitFor(() => expect(screen.queryByTestId('version-row-1.0')).not.toBeInTheDocument());
    expect(api.callsTo('DELETE', '/api/versions/1.0')).toHaveLength(1);
  });

  it('shows an admin the list but neither upload nor delete', async () => {
    versionsApi();
    renderApp('/versions', { loggedInAs: 'admin' });
    await screen.findByTestId('version-row-1.1');
    expect(screen.queryByRole('button', { name: 'Upload' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });

  it('suggests the next version number', () => {
    expect(nextVersion('1.9')).toBe('1.10');
    expect(nextVersion(null)).toBe('1.0');
  });
});

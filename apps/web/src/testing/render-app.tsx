import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router-dom';
import type { AuthUserDto, Role } from '@upgrade-manager/dto';
import { AppProvider } from '../app/provider';
import { routes } from '../app/routes';
import { tokenStore } from '../lib/token-store';

export const testUsers: Record<Role, AuthUserDto> = {
  super: { id: 'u-super', email: 'super@example.com', name: 'Sue Super', role: 'super', companyId: '1' },
  admin: { id: 'u-admin', email: 'admin@two.example', name: 'Ada Admin', role: 'admin', companyId: '2' },
  user: { id: 'u-user', email: 'user@two.example', name: 'Uma User', role: 'user', companyId: '2' },
};

/** Renders the whole app (routes, providers) at a URL, as the given user when a token is set. */
export function renderApp(url: string, { loggedInAs }: { loggedInAs?: Role } = {}) {
  if (loggedInAs) tokenStore.set(`test-token-${loggedInAs}`);
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
  const router = createMemoryRouter(routes, { initialEntries: [url] });
  const view = render(
    <AppProvider queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProvider>,
  );
  return { ...view, router, queryClient };
}

import type { RouteObject } from 'react-router-dom';
import { NotFoundPage } from '../components/errors/not-found-page';
import { AppLayout } from '../components/layout/app-layout';
import { paths } from '../config/paths';
import { LoginPage } from '../features/auth/components/login-page';
import { ProtectedRoute, RequirePage, useUnauthorizedRedirect } from '../lib/auth';
import type { Page } from '../lib/authorization';
import { Outlet } from 'react-router-dom';
import type { ReactElement } from 'react';
import { PlaceholderPage } from './placeholder-page';

function Root() {
  useUnauthorizedRedirect();
  return <Outlet />;
}

const guarded = (page: Page, element: ReactElement) => <RequirePage page={page}>{element}</RequirePage>;

export const routes: RouteObject[] = [
  {
    element: <Root />,
    children: [
      { path: paths.login.path, element: <LoginPage /> },
      {
        element: (
          <ProtectedRoute>
            <AppLayout />
          </ProtectedRoute>
        ),
        children: [
          { index: true, element: guarded('dashboard', <PlaceholderPage title="Dashboard" />) },
          { path: paths.upgrade.path, element: guarded('upgrade', <PlaceholderPage title="Upgrade" />) },
          { path: paths.versions.path, element: guarded('versions', <PlaceholderPage title="Versions" />) },
          { path: paths.gateway.path, element: guarded('gateway', <PlaceholderPage title="Gateway" />) },
          { path: paths.users.path, element: guarded('users', <PlaceholderPage title="Users" />) },
          { path: paths.companies.path, element: guarded('companies', <PlaceholderPage title="Companies" />) },
          { path: paths.profile.path, element: guarded('profile', <PlaceholderPage title="Profile" />) },
          { path: paths.events.path, element: guarded('events', <PlaceholderPage title="Event log" />) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

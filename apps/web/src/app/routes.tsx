import { lazy, type ReactElement } from 'react';
import { Outlet, type RouteObject } from 'react-router-dom';
import { NotFoundPage } from '../components/errors/not-found-page';
import { AppLayout } from '../components/layout/app-layout';
import { paths } from '../config/paths';
import { LoginPage } from '../features/auth/components/login-page';
import { ProtectedRoute, RequirePage, useUnauthorizedRedirect } from '../lib/auth';
import type { Page } from '../lib/authorization';

// Pages load on first visit, so the login page does not download the charts and tables.
const DashboardPage = lazy(() => import('../features/dashboard/components/dashboard-page').then((m) => ({ default: m.DashboardPage })));
const UpgradePage = lazy(() => import('../features/upgrade/components/upgrade-page').then((m) => ({ default: m.UpgradePage })));
const RolloutsPage = lazy(() => import('../features/rollouts/components/rollouts-page').then((m) => ({ default: m.RolloutsPage })));
const NewRolloutPage = lazy(() => import('../features/rollouts/components/new-rollout-page').then((m) => ({ default: m.NewRolloutPage })));
const RolloutPage = lazy(() => import('../features/rollouts/components/rollout-page').then((m) => ({ default: m.RolloutPage })));
const VersionsPage = lazy(() => import('../features/versions/components/versions-page').then((m) => ({ default: m.VersionsPage })));
const GatewayDetailPage = lazy(() => import('../features/gateways/components/gateway-detail-page').then((m) => ({ default: m.GatewayDetailPage })));
const UsersPage = lazy(() => import('../features/users/components/users-page').then((m) => ({ default: m.UsersPage })));
const CompaniesPage = lazy(() => import('../features/companies/components/companies-page').then((m) => ({ default: m.CompaniesPage })));
const ProfilePage = lazy(() => import('../features/profile/components/profile-page').then((m) => ({ default: m.ProfilePage })));
const EventsPage = lazy(() => import('../features/events/components/events-page').then((m) => ({ default: m.EventsPage })));

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
          { index: true, element: guarded('dashboard', <DashboardPage />) },
          { path: paths.upgrade.path, element: guarded('upgrade', <UpgradePage />) },
          { path: paths.rollouts.path, element: guarded('rollouts', <RolloutsPage />) },
          { path: paths.newRollout.path, element: guarded('rollouts', <NewRolloutPage />) },
          { path: paths.rollout.path, element: guarded('rollouts', <RolloutPage />) },
          { path: paths.versions.path, element: guarded('versions', <VersionsPage />) },
          { path: paths.gateway.path, element: guarded('gateway', <GatewayDetailPage />) },
          { path: paths.users.path, element: guarded('users', <UsersPage />) },
          { path: paths.companies.path, element: guarded('companies', <CompaniesPage />) },
          { path: paths.profile.path, element: guarded('profile', <ProfilePage />) },
          { path: paths.events.path, element: guarded('events', <EventsPage />) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

import { AppShell, Badge, Burger, Button, Group, NavLink, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense } from 'react';
import { Link, matchPath, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { paths } from '../../config/paths';
import { LoadingState } from '../ui/page-states';
import { useLogout } from '../../lib/logout';
import { useSession } from '../../lib/auth';
import { canSeePage, type Page } from '../../lib/authorization';
import { type LiveStatus, useLiveEvents } from '../../lib/live-events';

interface NavItem {
  page: Page;
  label: string;
  href: string;
  pattern: string;
}

const NAV_ITEMS: NavItem[] = [
  { page: 'dashboard', label: 'Dashboard', href: paths.dashboard.getHref(), pattern: paths.dashboard.path },
  { page: 'upgrade', label: 'Upgrade', href: paths.upgrade.getHref(), pattern: paths.upgrade.path },
  { page: 'rollouts', label: 'Rollouts', href: paths.rollouts.getHref(), pattern: `${paths.rollouts.path}/*` },
  { page: 'versions', label: 'Versions', href: paths.versions.getHref(), pattern: paths.versions.path },
  { page: 'events', label: 'Event log', href: paths.events.getHref(), pattern: paths.events.path },
  { page: 'users', label: 'Users', href: paths.users.getHref(), pattern: paths.users.path },
  { page: 'companies', label: 'Companies', href: paths.companies.getHref(), pattern: paths.companies.path },
  { page: 'profile', label: 'Profile', href: paths.profile.getHref(), pattern: paths.profile.path },
];

const LIVE_BADGE: Record<LiveStatus, { color: string; label: string; hint: string }> = {
  connecting: { color: 'gray', label: 'Connecting', hint: 'Opening the live update stream…' },
  live: { color: 'teal', label: 'Live', hint: 'Changes appear without reloading.' },
  reconnecting: { color: 'orange', label: 'Reconnecting', hint: 'Live updates are paused; the page catches up when the connection is back.' },
};

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { user, mode } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const logout = useLogout();
  const liveStatus = useLiveEvents();
  const live = LIVE_BADGE[liveStatus];

  const items = NAV_ITEMS.filter((item) => canSeePage(user.role, item.page));

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3} size="h4">
              Upgrade Manager
            </Title>
            <Tooltip label={live.hint}>
              <Badge color={live.color} variant="light" data-testid="live-status">
                {live.label}
              </Badge>
            </Tooltip>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Stack gap={0} visibleFrom="xs" align="flex-end">
              <Text size="sm" fw={500} lh={1.2}>
                {user.name || user.email}
              </Text>
              <Text size="xs" c="dimmed" lh={1.2}>
                {user.role} · company {user.companyId}
              </Text>
            </Stack>
            {mode === 'jwt' ? (
              <Button
                variant="default"
                size="xs"
                loading={logout.isPending}
                onClick={() => logout.mutate(undefined, { onSettled: () => navigate(paths.login.getHref(), { replace: true }) })}
              >
                Log out
              </Button>
            ) : (
              <Tooltip label="The API runs without login (AUTH_MODE=none); everyone acts as the super user.">
                <Badge color="yellow">Development mode</Badge>
              </Tooltip>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {items.map((item) => (
          <NavLink
            key={item.page}
            component={Link}
            to={item.href}
            label={item.label}
            active={matchPath({ path: item.pattern, end: item.pattern === '/' }, location.pathname) !== null}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<LoadingState label="Loading the page…" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

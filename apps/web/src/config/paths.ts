/** Every route of the app in one place: `path` for the router, `getHref` for links. */
export const paths = {
  login: {
    path: '/login',
    getHref: (redirectTo?: string | null) => (redirectTo && redirectTo !== '/' ? `/login?redirectTo=${encodeURIComponent(redirectTo)}` : '/login'),
  },
  dashboard: { path: '/', getHref: () => '/' },
  upgrade: { path: '/upgrade', getHref: () => '/upgrade' },
  versions: { path: '/versions', getHref: () => '/versions' },
  gateway: { path: '/gateways/:gatewayId', getHref: (gatewayId: string) => `/gateways/${encodeURIComponent(gatewayId)}` },
  users: { path: '/users', getHref: () => '/users' },
  companies: { path: '/companies', getHref: () => '/companies' },
  profile: { path: '/profile', getHref: () => '/profile' },
  events: { path: '/events', getHref: () => '/events' },
  rollouts: { path: '/rollouts', getHref: () => '/rollouts' },
  newRollout: { path: '/rollouts/new', getHref: () => '/rollouts/new' },
  rollout: { path: '/rollouts/:rolloutId', getHref: (rolloutId: string) => `/rollouts/${encodeURIComponent(rolloutId)}` },
} as const;

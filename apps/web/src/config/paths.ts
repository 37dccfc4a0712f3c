export const paths = {
  home: '/',
  login: '/login',
} as const;

const STORAGE_KEY = 'upgrade-manager.accessToken';

/** The login token survives a reload (deep links) but not a logout. */
export const tokenStore = {
  get(): string | null {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    window.localStorage.setItem(STORAGE_KEY, token);
  },
  clear(): void {
    window.localStorage.removeItem(STORAGE_KEY);
  },
};

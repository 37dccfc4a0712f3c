import { Center, Container } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { ErrorState, LoadingState } from '../components/ui/page-states';
import { NotAllowedPage } from '../components/errors/not-allowed-page';
import { paths } from '../config/paths';
import { type Session, sessionQueryKey, useSessionQuery } from './session';
import { onUnauthorized } from './api-client';
import { canSeePage, type Page } from './authorization';
import { tokenStore } from './token-store';

/** Any 401 from the API ends the session; the protected routes then redirect to the login page. */
export function useUnauthorizedRedirect(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    onUnauthorized(() => {
      tokenStore.clear();
      queryClient.setQueryData(sessionQueryKey, null);
    });
    return () => onUnauthorized(null);
  }, [queryClient]);
}

const SessionContext = createContext<Session | null>(null);

/** The logged-in session; only call below ProtectedRoute. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() used outside a logged-in route');
  return session;
}

export function ProtectedRoute({ children }: { children: ReactNode }) {
  const session = useSessionQuery();
  const location = useLocation();
  if (session.isPending) {
    return (
      <Center h="100vh">
        <LoadingState label="Connecting to the server…" />
      </Center>
    );
  }
  if (session.isError) {
    return (
      <Container size="sm" py="xl">
        <ErrorState title="Cannot load your session" error={session.error} onRetry={() => void session.refetch()} />
      </Container>
    );
  }
  if (!session.data) return <Navigate to={paths.login.getHref(`${location.pathname}${location.search}`)} replace />;
  return <SessionContext.Provider value={session.data}>{children}</SessionContext.Provider>;
}

/** Shows "not allowed" instead of the page when the role may not see it (typed URLs included). */
export function RequirePage({ page, children }: { page: Page; children: ReactNode }) {
  const { user } = useSession();
  return canSeePage(user.role, page) ? <>{children}</> : <NotAllowedPage />;
}

import { type MockRequest, reply } from './mock-api';
import { testUsers } from './render-app';

/** GET /api/auth/me answering for the test token's user, 401 without one. */
export function authenticated(request: MockRequest) {
  const role = request.headers.get('Authorization')?.replace('Bearer test-token-', '');
  const user = role ? testUsers[role as keyof typeof testUsers] : undefined;
  return user ?? reply(401, { statusCode: 401, message: 'Unauthorized' });
}

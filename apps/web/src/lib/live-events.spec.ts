import { QueryClient } from '@tanstack/react-query';
import { LiveInvalidator, parseLiveMessage, queryKeysFor } from './live-events';

describe('live events', () => {
  it('maps event types to the queries they make stale', () => {
    expect(queryKeysFor('gateway.registered')).toEqual([['events'], ['gateways']]);
    expect(queryKeysFor('deployment.target-updated')).toEqual([['events'], ['deployments'], ['gateways']]);
    expect(queryKeysFor('version.added')).toEqual([['events'], ['versions']]);
  });

  it('invalidates each query once per burst of events', () => {
    vi.useFakeTimers();
    try {
      const queryClient = new QueryClient();
      const invalidate = vi.spyOn(queryClient, 'invalidateQueries').mockResolvedValue(undefined);
      const invalidator = new LiveInvalidator(queryClient, 100);
      for (let index = 0; index < 1000; index += 1) invalidator.add(queryKeysFor('deployment.target-updated'));
      expect(invalidate).not.toHaveBeenCalled();
      vi.advanceTimersByTime(100);
      expect(invalidate.mock.calls.map(([filters]) => filters?.queryKey)).toEqual([['events'], ['deployments'], ['gateways']]);
      invalidator.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores messages that are not live events', () => {
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('{"data":{}}')).toBeNull();
    expect(parseLiveMessage('{"type":"version.added","companyId":null,"data":{"version":"1.2"}}')).toEqual({
      type: 'version.added',
      companyId: null,
      data: { version: '1.2' },
    });
  });
});

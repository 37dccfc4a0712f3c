import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { httpRequestMetrics, routeLabel, UNMATCHED_ROUTE } from './http-request-metrics';
import { MetricsService } from './metrics.service';

function fakeRequest(method: string, baseUrl: string, routePath?: string): Request {
  return {
    method,
    baseUrl,
    route: routePath === undefined ? undefined : { path: routePath },
    originalUrl: '/api/gateways/secret-id?x=1',
  } as unknown as Request;
}

describe('routeLabel', () => {
  it('is the route pattern, never the URL', () => {
    expect(routeLabel(fakeRequest('GET', '', '/api/gateways/:id'))).toBe('/api/gateways/:id');
    expect(routeLabel(fakeRequest('GET', '/api', '/gateways/:id'))).toBe('/api/gateways/:id');
    expect(routeLabel(fakeRequest('GET', ''))).toBe(UNMATCHED_ROUTE);
  });
});

describe('httpRequestMetrics', () => {
  it('observes one duration per request, labelled by method, route pattern and status', async () => {
    const metrics = new MetricsService();
    const middleware = httpRequestMetrics(metrics);
    const res = Object.assign(new EventEmitter(), { statusCode: 404 }) as unknown as Response;
    const next = jest.fn();
    middleware(fakeRequest('GET', '', '/api/gateways/:id'), res, next);
    expect(next).toHaveBeenCalledTimes(1);
    res.emit('finish');
    res.emit('close');
    const text = await metrics.registry.metrics();
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/api/gateways/:id",status="404"} 1');
    expect(text).not.toContain('secret-id');
  });
});

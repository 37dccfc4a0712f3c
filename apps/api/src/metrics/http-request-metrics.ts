import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetricsService } from './metrics.service';

/** The Prometheus name the monitoring dashboard queries. */
export const HTTP_REQUEST_DURATION_METRIC = 'http_request_duration_seconds';
/** The route label of requests no route handled (static files of the web app, unknown paths): never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';
// From a cached page (a few ms) to an upload of a large image.
const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The route pattern that handled the request (e.g. `/api/gateways/:id`), or UNMATCHED_ROUTE. */
export function routeLabel(req: Pick<Request, 'baseUrl' | 'route'>): string {
  const pattern: unknown = req.route?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : UNMATCHED_ROUTE;
}

/**
 * Express middleware that times every request from arrival to the end of its response into
 * `http_request_duration_seconds{method, route, status}`. The route is the pattern, so the
 * label's values are bounded by the API's routes whatever URLs clients send.
 */
export function httpRequestMetrics(metrics: MetricsService): RequestHandler {
  const duration = metrics.histogram({
    name: HTTP_REQUEST_DURATION_METRIC,
    help: 'HTTP requests from arrival to the end of the response, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS_SECONDS,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) });
    };
    // `finish` when the response was sent; `close` alone when the client went away first.
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers for the API and the web app (helmet), with a Content-Security-Policy the built
 * app passes: its scripts, styles and data come from this origin only; Mantine sets inline styles
 * (style attributes and its CSS variables), so styles allow 'unsafe-inline', scripts never.
 * No upgrade-insecure-requests: the app is also served over plain HTTP on a LAN or localhost.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });
}

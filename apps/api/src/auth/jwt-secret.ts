import { randomBytes } from 'node:crypto';
import type { AppConfigService } from '../config/app-config.service';

// Development mode may run without JWT_SECRET; tokens then last until the process ends.
const developmentSecret = randomBytes(32).toString('hex');

/** The key that signs and verifies login tokens (HS256). */
export function jwtSecretOf(config: AppConfigService): string {
  return config.get('JWT_SECRET') ?? developmentSecret;
}

export const JWT_ALGORITHM = 'HS256';

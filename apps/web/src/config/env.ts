import { z } from 'zod';

const EnvSchema = z.object({
  // Empty: the API is on the same origin (served by it in production, proxied by Vite in development).
  API_URL: z
    .string()
    .default('')
    .transform((url) => url.replace(/\/+$/, '')),
});

function parseEnv(): z.infer<typeof EnvSchema> {
  const result = EnvSchema.safeParse({ API_URL: import.meta.env['VITE_API_URL'] });
  if (result.success) return result.data;
  throw new Error(`Invalid web app configuration: ${result.error.issues.map((issue) => `VITE_${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
}

export const env = parseEnv();

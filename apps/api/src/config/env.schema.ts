import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const seconds = z.coerce.number().int().positive();

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    PORT: port.default(5001),
    HOST: z.string().min(1).default('0.0.0.0'),
    AUTH_MODE: z.enum(['jwt', 'none']).default('jwt'),
    JWT_SECRET: z.string().optional(),
    JWT_EXPIRES_IN: z.string().default('12h'),
    LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(10),
    LOGIN_LOCKOUT_S: seconds.default(900),
    TRUST_PROXY: z.string().default(''),
    METRICS_TOKEN: z.string().default(''),
    API_DOCS: z.enum(['login', 'public', 'off']).default('login'),
    HTTP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
    ADMIN_EMAIL: z.string().email().default('admin@example.com'),
    ADMIN_PASSWORD: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MONGO_URL: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL')
      .default('mongodb://127.0.0.1:27017/upgrade-manager'),
    MQTT_URL: z
      .string()
      .regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL')
      .default('mqtt://127.0.0.1:1883'),
    MQTT_CLIENT_ID: z.string().min(1).default('upgrade-manager-api'),
    // Empty: the host name and PORT (stable across restarts of one process in one place).
    API_INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only')
      .max(64)
      .default(''),
    MQTT_USERNAME: z.string().min(1).default('upgrade-manager-api'),
    MQTT_PASSWORD: z.string().min(1, 'is required (npm start generates one into .env)'),
    MQTT_CA_FILE: z.string().optional(),
    MQTT_GATEWAY_USERNAME: z.string().min(1).default('gateway'),
    MQTT_GATEWAY_PASSWORD: z.string().optional(),
    // Read by the services scripts (tools/services) and certs/; listed here so every variable has one schema.
    MQTT_TLS_PORT: port.default(8883),
    MQTT_TLS_HOST: z.string().optional(),
    MQTT_HOST: z.string().default(''),
    MQTT_TLS_CA_FILE: z.string().default('certs/out/ca.crt'),
    MQTT_TLS_CERT_FILE: z.string().default('certs/out/broker.crt'),
    MQTT_TLS_KEY_FILE: z.string().default('certs/out/broker.key'),
    MOSQUITTO_DYNSEC_PLUGIN: z.string().optional(),
    FERRETDB_BACKEND: z.enum(['sqlite', 'postgresql']).default('sqlite'),
    WEB_DIST_DIR: z.string().default('dist/apps/web'),
    ONLINE_WINDOW_S: seconds.default(150),
    DEPLOYMENT_TIMEOUT_S: seconds.default(600),
    LEASE_TTL_S: seconds.min(2).default(15),
    // 128 MiB: an image goes to a gateway as one MQTT packet, which the broker bounds (max_packet_size, config/mosquitto).
    MAX_IMAGE_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(128 * 1024 * 1024),
    IMAGE_CACHE_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024),
    RESOURCES_DIR: z.string().default('resources'),
    DATA_DIR: z.string().default('.data'),
    // Protocol v2 (docs/protocol-v2.md): manifest signing and chunked delivery.
    SIGNING_KEY_FILE: z.string().optional(),
    TRUSTED_KEYS_FILE: z.string().optional(),
    CHUNK_SIZE_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(64 * 1024),
    CHUNK_CACHE_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(32 * 1024 * 1024),
    CHUNK_STREAM_BYTES_PER_S: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .default(8 * 1024 * 1024),
    // Gateway admission (apps/api/src/gateway-admission): what a gateway holding the shared password may do.
    GATEWAY_REGISTRATION: z.enum(['automatic', 'approval']).default('automatic'),
    REGISTRATION_GATEWAYS_PER_MINUTE: z.coerce.number().int().positive().default(10_000),
    REGISTRATION_GATEWAYS_PER_COMPANY: z.coerce.number().int().positive().default(100_000),
    REGISTRATION_COMPANIES_PER_HOUR: z.coerce.number().int().positive().default(100),
    GATEWAY_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_MODE === 'jwt' && (!env.JWT_SECRET || env.JWT_SECRET.length < 16)) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be at least 16 characters when AUTH_MODE=jwt' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Validates the environment once at boot; the error names every bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const result = envSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new Error(`Invalid configuration:\n${problems.join('\n')}\nSee .env.example for every variable and its default.`);
}

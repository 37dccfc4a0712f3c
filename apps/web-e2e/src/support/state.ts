/** What the global setup started, handed to the test file through the environment. */
export interface Account {
  email: string;
  password: string;
}

export interface E2eState {
  runId: string;
  baseUrl: string;
  mqttUrl: string;
  gatewayUsername: string;
  gatewayPassword: string;
  /** The API's manifest signing key (the global setup's alias-free code cannot derive the public key; the tests do). */
  signingKeyFile: string;
  accounts: { super: Account; admin2: Account; user2: Account };
  /** The API's environment, for one more process of the same deployment (startSiblingApi). */
  apiEnv: Record<string, string>;
}

const STATE_VARIABLE = 'UPGRADE_MANAGER_E2E_STATE';

export function publishState(state: E2eState): void {
  process.env[STATE_VARIABLE] = JSON.stringify(state);
}

export function readState(): E2eState {
  const raw = process.env[STATE_VARIABLE];
  if (!raw) throw new Error('The e2e global setup did not run (use `npx nx run web-e2e:e2e`).');
  return JSON.parse(raw) as E2eState;
}

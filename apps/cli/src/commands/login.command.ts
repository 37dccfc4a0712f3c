import type { Command } from 'commander';
import type { CliIo } from '../cli-io';
import { contextOf } from '../cli-io';
import { ApiClient } from '../api-client';
import { credentialsFile, readCredentials, removeCredentials, writeCredentials } from '../credentials-store';
import { CliError } from '../exit-codes';
import { note, printJson } from '../output';
import { createPrompter } from '../prompt';

interface LoginOptions {
  email?: string;
  password?: string;
}

export function registerLoginCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('log in and keep the token in the config directory (mode 0600); asks for what is not given')
    .option('--email <email>', 'account email')
    .option('--password <password>', 'password (prefer the prompt: command lines are visible to other users)')
    .action(async (options: LoginOptions, command: Command) => {
      const context = contextOf(command, io);
      const prompter = createPrompter(io);
      let email: string;
      let password: string;
      try {
        email = options.email || (await prompter.ask('Email: '));
        password = options.password || (await prompter.ask('Password: ', { hidden: true }));
      } finally {
        prompter.close();
      }
      if (!email || !password) throw new CliError('An email and a password are needed.');
      const response = await new ApiClient(context.apiUrl, null).login({ email, password });
      const file = writeCredentials(io.env, { api: context.apiUrl, token: response.accessToken, email: response.user.email });
      if (context.output.json) printJson(context.output, { api: context.apiUrl, user: response.user, credentialsFile: file });
      else
        note(
          context.output,
          `Logged in to ${context.apiUrl} as ${response.user.email} (${response.user.role}, company ${response.user.companyId}); token in ${file}.`,
        );
    });

  program
    .command('logout')
    .description('revoke the stored token at the API and delete it')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const stored = readCredentials(io.env);
      if (stored) {
        // The token is deleted locally even when the API cannot be reached or has revoked it already.
        await new ApiClient(stored.api, stored.token)
          .logout()
          .catch((error: Error) => note(context.output, `The API did not revoke the token: ${error.message}`));
      }
      const removed = removeCredentials(io.env);
      if (context.output.json) printJson(context.output, { loggedOut: removed });
      else note(context.output, removed ? `Logged out; deleted ${credentialsFile(io.env)}.` : 'Not logged in.');
    });
}

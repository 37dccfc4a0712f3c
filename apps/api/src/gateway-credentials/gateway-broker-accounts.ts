import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { DynsecControlClient, type DynsecResponse } from './dynsec-control.client';
import { createAccountCommands, deleteAccountCommands } from './gateway-account';

const DELETE_COMMANDS = new Set(['deleteClient', 'deleteRole']);

/** Deleting what is not there is fine: revocation and re-issue must work whatever the broker holds. */
function assertSucceeded(responses: DynsecResponse[]): void {
  const failed = responses.filter((response) => response.error && !(DELETE_COMMANDS.has(response.command) && /not found/i.test(response.error)));
  if (failed.length > 0) {
    throw new DomainError(
      DomainErrorCode.UNAVAILABLE,
      `The MQTT broker refused the account change: ${failed.map((response) => `${response.command}: ${response.error}`).join('; ')}`,
    );
  }
}

/**
 * Per-gateway accounts in the broker's dynamic-security plugin. Every change takes effect at once:
 * deleting an account or changing its password disconnects the gateway's open connection.
 */
@Injectable()
export class GatewayBrokerAccounts {
  constructor(private readonly control: DynsecControlClient) {}

  /** Creates the account (replacing any leftover of an earlier one). */
  async create(gatewayId: string, companyId: string, password: string): Promise<void> {
    assertSucceeded(await this.control.execute(createAccountCommands(gatewayId, companyId, password)));
  }

  /** Sets a new password; false when the broker has no such account (to be created instead). */
  async setPassword(gatewayId: string, password: string): Promise<boolean> {
    const [response] = await this.control.execute([{ command: 'setClientPassword', username: gatewayId, password }]);
    if (response?.error && /not found/i.test(response.error)) return false;
    assertSucceeded(response ? [response] : []);
    return true;
  }

  async remove(gatewayId: string): Promise<void> {
    assertSucceeded(await this.control.execute(deleteAccountCommands(gatewayId)));
  }
}

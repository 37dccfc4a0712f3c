import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { GatewayCredentialChange, GatewayCredentialStatusDto, GatewayCredentialsDto } from '@upgrade-manager/dto';
import { isValidGatewayId } from '@upgrade-manager/frame-codec';
import type { Counter } from 'prom-client';
import type { Model } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { EventsService } from '../events/events.service';
import type { Gateway } from '../gateways/gateway.schema';
import { assertCanManageGateways } from '../gateways/gateways.policy';
import { GatewaysService } from '../gateways/gateways.service';
import { MetricsService } from '../metrics/metrics.service';
import { GatewayBrokerAccounts } from './gateway-broker-accounts';
import { GatewayCredential } from './gateway-credential.schema';

const SECRET_BYTES = 24;

/** Issues, rotates and revokes gateways' own broker accounts (the broker enforces them). */
@Injectable()
export class GatewayCredentialsService {
  private readonly logger = new Logger(GatewayCredentialsService.name);
  private readonly changes: Counter<'change'>;
  // One change at a time per gateway, so the broker and the database never disagree on the secret.
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly gateways: GatewaysService,
    @InjectModel(GatewayCredential.name) private readonly credentials: Model<GatewayCredential>,
    private readonly broker: GatewayBrokerAccounts,
    private readonly config: AppConfigService,
    private readonly events: EventsService,
    metrics: MetricsService,
  ) {
    this.changes = metrics.counter({
      name: 'um_gateway_credential_changes_total',
      help: 'Gateway broker accounts issued, rotated or revoked',
      labelNames: ['change'],
    });
  }

  async status(principal: Principal, gatewayId: string): Promise<GatewayCredentialStatusDto> {
    await this.findManageable(principal, gatewayId);
    return toStatusDto(gatewayId, await this.credentials.findOne({ gatewayId }).lean<GatewayCredential>());
  }

  /** Issues an account, or rotates the password of the active one (disconnecting the gateway). */
  async issue(principal: Principal, gatewayId: string): Promise<GatewayCredentialsDto> {
    const gateway = await this.findManageable(principal, gatewayId);
    this.assertUsableAsAccount(gatewayId);
    return this.serialized(gatewayId, async () => {
      const current = await this.credentials.findOne({ gatewayId }).lean<GatewayCredential>();
      const password = randomBytes(SECRET_BYTES).toString('base64url');
      let change: Exclude<GatewayCredentialChange, 'revoked'> = 'issued';
      if (current && !current.revokedAt && (await this.broker.setPassword(gatewayId, password))) {
        change = 'rotated';
      } else {
        await this.broker.create(gatewayId, gateway.companyId, password);
      }
      const now = new Date();
      const saved = await this.credentials
        .findOneAndUpdate(
          { gatewayId },
          {
            $set: {
              companyId: gateway.companyId,
              username: gatewayId,
              secretSha256: createHash('sha256').update(password).digest('hex'),
              issuedAt: change === 'rotated' && current ? current.issuedAt : now,
              rotatedAt: change === 'rotated' ? now : null,
              revokedAt: null,
            },
          },
          { upsert: true, new: true },
        )
        .lean<GatewayCredential>()
        .catch(async (error: unknown) => {
          // An account nobody knows the state of must not stay usable.
          if (change === 'issued') await this.broker.remove(gatewayId).catch(() => undefined);
          throw error;
        });
      await this.recordChange(principal, gateway, change);
      return { ...toStatusDto(gatewayId, saved), password, change };
    });
  }

  /** Deletes the account in the broker, which disconnects the gateway at once and refuses it from then on. */
  async revoke(principal: Principal, gatewayId: string): Promise<GatewayCredentialStatusDto> {
    const gateway = await this.findManageable(principal, gatewayId);
    return this.serialized(gatewayId, async () => {
      const current = await this.credentials.findOne({ gatewayId }).lean<GatewayCredential>();
      if (!current || current.revokedAt) {
        throw new DomainError(DomainErrorCode.CONFLICT, `Gateway ${gatewayId} has no active credentials to revoke`);
      }
      await this.broker.remove(gatewayId);
      const saved = await this.credentials
        .findOneAndUpdate({ gatewayId }, { $set: { revokedAt: new Date(), secretSha256: null } }, { new: true })
        .lean<GatewayCredential>();
      await this.recordChange(principal, gateway, 'revoked');
      return toStatusDto(gatewayId, saved);
    });
  }

  // Another company's gateway is "not found", as everywhere in the API; users may not manage.
  private async findManageable(principal: Principal, gatewayId: string): Promise<Gateway> {
    const gateway = await this.gateways.findVisible(principal, gatewayId);
    assertCanManageGateways(principal);
    return gateway;
  }

  // A gateway named like a fixed account would lock that account out, since the plugin checks first.
  private assertUsableAsAccount(gatewayId: string): void {
    if (!isValidGatewayId(gatewayId)) {
      throw new DomainError(DomainErrorCode.INVALID_INPUT, `Gateway id ${gatewayId} cannot be a broker user name`);
    }
    if ([this.config.get('MQTT_USERNAME'), this.config.get('MQTT_GATEWAY_USERNAME')].includes(gatewayId)) {
      throw new DomainError(DomainErrorCode.CONFLICT, `Gateway id ${gatewayId} is the user name of a fixed broker account`);
    }
  }

  private async recordChange(principal: Principal, gateway: Gateway, change: GatewayCredentialChange): Promise<void> {
    this.changes.inc({ change });
    this.logger.log(`Credentials of gateway ${gateway.gatewayId} ${change} by ${principal.email}`);
    await this.events.record({
      type: 'gateway.modified',
      companyId: gateway.companyId,
      actor: principal,
      gatewayId: gateway.gatewayId,
      details: { credentials: change },
    });
  }

  private serialized<T>(gatewayId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(gatewayId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.queues.set(gatewayId, next);
    return next.finally(() => {
      if (this.queues.get(gatewayId) === next) this.queues.delete(gatewayId);
    });
  }
}

function toStatusDto(gatewayId: string, credential: GatewayCredential | null): GatewayCredentialStatusDto {
  return {
    gatewayId,
    username: gatewayId,
    state: !credential ? 'none' : credential.revokedAt ? 'revoked' : 'active',
    issuedAt: credential?.issuedAt?.toISOString() ?? null,
    rotatedAt: credential?.rotatedAt?.toISOString() ?? null,
    revokedAt: credential?.revokedAt?.toISOString() ?? null,
  };
}

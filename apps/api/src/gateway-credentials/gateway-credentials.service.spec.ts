import type { CompaniesService } from '../companies/companies.service';
import type { GatewayAdmission } from '../gateway-admission/gateway-admission.service';
import type { Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import type { AppConfigService } from '../config/app-config.service';
import type { EventsService, RecordEventInput } from '../events/events.service';
import type { Deployment } from '../deployments/deployment.schema';
import type { DeploymentTarget } from '../deployments/deployment-target.schema';
import type { Gateway } from '../gateways/gateway.schema';
import type { ClusterBus } from '../cluster/cluster-bus.service';
import { GatewaysService } from '../gateways/gateways.service';
import type { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import type { GatewayBrokerAccounts } from './gateway-broker-accounts';
import type { GatewayCredential } from './gateway-credential.schema';
import { GatewayCredentialsService } from './gateway-credentials.service';
import { GatewaysStore } from '../gateways/gateways.store';

type Filter = Record<string, unknown>;
const matches = (doc: object, filter: Filter) => Object.entries(filter).every(([key, value]) => (doc as Filter)[key] === value);
const query = <T>(value: T) => ({ lean: () => Promise.resolve(value) });

/** Just the model calls the service makes, over an array. */
function fakeModel<T extends object>(docs: T[]) {
  return {
    docs,
    findOne: (filter: Filter) => query(docs.find((doc) => matches(doc, filter)) ?? null),
    findOneAndUpdate: (filter: Filter, update: { $set: Partial<T> }, options: { upsert?: boolean }) => {
      let doc = docs.find((candidate) => matches(candidate, filter));
      if (!doc && options.upsert) docs.push((doc = { ...filter } as T));
      if (doc) Object.assign(doc, update.$set);
      return query(doc ? { ...doc } : null);
    },
  };
}

const superUser: Principal = { userId: 'u-super', email: 'super@example.com', role: 'super', companyId: '1' };
const admin: Principal = { userId: 'u-admin', email: 'admin@example.com', role: 'admin', companyId: '2' };
const user: Principal = { ...admin, userId: 'u-user', role: 'user' };

describe('GatewayCredentialsService', () => {
  let credentials: ReturnType<typeof fakeModel<GatewayCredential>>;
  let broker: { create: jest.Mock; setPassword: jest.Mock; remove: jest.Mock };
  let events: RecordEventInput[];
  let service: GatewayCredentialsService;

  beforeEach(() => {
    const gateways = fakeModel<Partial<Gateway>>([
      { _id: 'gw-a', gatewayId: 'gw-a', companyId: '2' },
      { _id: 'gw-b', gatewayId: 'gw-b', companyId: '3' },
      { _id: 'gateway', gatewayId: 'gateway', companyId: '2' },
    ]);
    credentials = fakeModel<GatewayCredential>([]);
    broker = { create: jest.fn().mockResolvedValue(undefined), setPassword: jest.fn().mockResolvedValue(true), remove: jest.fn().mockResolvedValue(undefined) };
    events = [];
    const config = { get: (name: string) => ({ MQTT_USERNAME: 'upgrade-manager-api', MQTT_GATEWAY_USERNAME: 'gateway' })[name] };
    // The real scope lookup over the fake collection; the other collaborators are not reached.
    const gatewaysService = new GatewaysService(
      gateways as unknown as Model<Gateway>,
      {} as Model<DeploymentTarget>,
      {} as Model<Deployment>,
      config as unknown as AppConfigService,
      {} as EventsService,
      {} as LiveEventsService,
      {} as CompaniesService,
      {} as GatewayAdmission,
      {} as ClusterBus,
      {} as GatewaysStore,
    );
    service = new GatewayCredentialsService(
      gatewaysService,
      credentials as unknown as Model<GatewayCredential>,
      broker as unknown as GatewayBrokerAccounts,
      config as unknown as AppConfigService,
      { record: async (input: RecordEventInput) => void events.push(input) } as unknown as EventsService,
      new MetricsService(),
    );
  });

  async function expectCode(promise: Promise<unknown>, code: DomainErrorCode) {
    await expect(promise).rejects.toBeInstanceOf(DomainError);
    await expect(promise).rejects.toMatchObject({ code });
  }

  it('issues an account once, then rotates its password; the secret is returned, only its hash stored', async () => {
    const issued = await service.issue(admin, 'gw-a');
    expect(issued).toMatchObject({ gatewayId: 'gw-a', username: 'gw-a', state: 'active', change: 'issued', rotatedAt: null, revokedAt: null });
    expect(issued.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(broker.create).toHaveBeenCalledWith('gw-a', '2', issued.password);
    expect(JSON.stringify(credentials.docs)).not.toContain(issued.password);
    expect(credentials.docs[0].secretSha256).toMatch(/^[0-9a-f]{64}$/);

    const rotated = await service.issue(admin, 'gw-a');
    expect(rotated).toMatchObject({ change: 'rotated', issuedAt: issued.issuedAt });
    expect(rotated.rotatedAt).not.toBeNull();
    expect(rotated.password).not.toBe(issued.password);
    expect(broker.setPassword).toHaveBeenCalledWith('gw-a', rotated.password);
    expect(broker.create).toHaveBeenCalledTimes(1);
    expect(events.map((event) => [event.type, event.gatewayId, event.companyId, event.details])).toEqual([
      ['gateway.modified', 'gw-a', '2', { credentials: 'issued' }],
      ['gateway.modified', 'gw-a', '2', { credentials: 'rotated' }],
    ]);
    expect(events[0].actor).toMatchObject({ userId: 'u-admin' });
  });

  it('creates the account again when the broker lost it, and after a revocation', async () => {
    await service.issue(superUser, 'gw-a');
    broker.setPassword.mockResolvedValueOnce(false);
    expect((await service.issue(superUser, 'gw-a')).change).toBe('issued');
    await service.revoke(superUser, 'gw-a');
    expect((await service.issue(superUser, 'gw-a')).change).toBe('issued');
    expect(broker.create).toHaveBeenCalledTimes(3);
  });

  it('revokes: deletes the account in the broker and keeps the dates, without a hash', async () => {
    await expectCode(service.revoke(admin, 'gw-a'), DomainErrorCode.CONFLICT);
    await service.issue(admin, 'gw-a');
    const revoked = await service.revoke(admin, 'gw-a');
    expect(revoked).toMatchObject({ state: 'revoked', gatewayId: 'gw-a' });
    expect(revoked.revokedAt).not.toBeNull();
    expect(broker.remove).toHaveBeenCalledWith('gw-a');
    expect(credentials.docs[0].secretSha256).toBeNull();
    expect(events.at(-1)?.details).toEqual({ credentials: 'revoked' });
    await expectCode(service.revoke(admin, 'gw-a'), DomainErrorCode.CONFLICT);
    expect((await service.status(admin, 'gw-a')).state).toBe('revoked');
  });

  it('keeps tenants apart and users out; nothing reaches the broker when refused', async () => {
    await expectCode(service.issue(admin, 'gw-b'), DomainErrorCode.NOT_FOUND);
    await expectCode(service.issue(admin, 'gw-unknown'), DomainErrorCode.NOT_FOUND);
    await expectCode(service.issue(user, 'gw-a'), DomainErrorCode.FORBIDDEN);
    await expectCode(service.status(user, 'gw-a'), DomainErrorCode.FORBIDDEN);
    await expectCode(service.revoke(user, 'gw-a'), DomainErrorCode.FORBIDDEN);
    await expectCode(service.issue(admin, 'gateway'), DomainErrorCode.CONFLICT);
    expect(broker.create).not.toHaveBeenCalled();
    expect((await service.issue(superUser, 'gw-b')).change).toBe('issued');
    expect((await service.status(admin, 'gw-a')).state).toBe('none');
  });

  it('does not keep a freshly created account when the database write fails', async () => {
    credentials.findOneAndUpdate = () => ({ lean: () => Promise.reject(new Error('database down')) });
    await expect(service.issue(admin, 'gw-a')).rejects.toThrow('database down');
    expect(broker.remove).toHaveBeenCalledWith('gw-a');
    expect(events).toEqual([]);
  });

  it('runs concurrent changes of one gateway one after the other', async () => {
    const results = await Promise.all([service.issue(admin, 'gw-a'), service.issue(admin, 'gw-a'), service.issue(admin, 'gw-a')]);
    expect(results.map((result) => result.change)).toEqual(['issued', 'rotated', 'rotated']);
  });
});

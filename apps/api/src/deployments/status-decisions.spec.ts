import { Types } from 'mongoose';
import type { Model } from 'mongoose';
import type { ClusterBus } from '../cluster/cluster-bus.service';
import type { EventsService } from '../events/events.service';
import type { GatewaysStore } from '../gateways/gateways.store';
import type { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import type { DeploymentTarget } from './deployment-target.schema';
import type { Deployment } from './deployment.schema';
import type { DeploymentTargetsStore } from './deployment-targets.store';
import { DeploymentTracker } from './deployment-tracker.service';
import type { StoredTarget } from './pending-targets';
import { StatusDecisions } from './status-decisions';

const target: StoredTarget = {
  _id: new Types.ObjectId(),
  deploymentId: 'dep-1',
  gatewayId: 'gw-1',
  companyId: '2',
  version: '2.0',
  status: 'pending',
  reason: null,
  reportedVersion: null,
  deadline: new Date('2026-01-01T10:10:00Z'),
  createdAt: new Date('2026-01-01T10:00:00Z'),
};

describe('StatusDecisions', () => {
  it('gives each decided gateway its upgrade copy, and releases the tracker once', () => {
    let releases = 0;
    const decisions = new StatusDecisions([{ target, status: 'confirmed', reason: null, reportedVersion: '2.0' }], () => (releases += 1));
    expect([...decisions.upgrades]).toEqual([['gw-1', { version: '2.0', status: 'confirmed', deploymentId: 'dep-1', startedAt: target.createdAt }]]);
    decisions.release();
    decisions.release();
    expect(releases).toBe(1);
  });
});

describe('DeploymentTracker with decisions handed out', () => {
  function tracker(): DeploymentTracker {
    const query = { sort: () => query, lean: async () => [] };
    const targets = { find: () => query } as unknown as Model<DeploymentTarget>;
    const deployments = { find: () => query } as unknown as Model<Deployment>;
    const bus = { on: () => undefined, instanceId: 'test' } as unknown as ClusterBus;
    const store = { currentOf: async () => [] } as unknown as DeploymentTargetsStore;
    return new DeploymentTracker(targets, deployments, store, {} as GatewaysStore, {} as EventsService, {} as LiveEventsService, bus, new MetricsService());
  }

  it('waits for the caller to settle or release them before its next transition', async () => {
    const subject = tracker();
    const decisions = await subject.decideOnStatuses([]);
    let next = false;
    const failing = subject.failUnpublished('dep-1', ['gw-1']).then(() => (next = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(next).toBe(false);
    await subject.settle(decisions);
    await failing;
    expect(next).toBe(true);
  });

  it('goes on when decisions are released without being applied', async () => {
    const subject = tracker();
    const decisions = await subject.decideOnStatuses([]);
    decisions.release();
    await expect(subject.failUnpublished('dep-1', ['gw-1'])).resolves.toBe(0);
  });
});

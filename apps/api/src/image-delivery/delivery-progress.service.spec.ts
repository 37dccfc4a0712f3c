import type { Progress, ProgressState } from '@upgrade-manager/protocol-v2';
import type { Model } from 'mongoose';
import type { DeploymentTracker, TargetChange, TargetDecisionListener } from '../deployments/deployment-tracker.service';
import type { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeliveryProgressService } from './delivery-progress.service';
import type { ImageDeliveryService } from './image-delivery.service';
import type { ImageOffer } from './image-offer.schema';

type Filter = { _id: string; deploymentId: string; closedReason?: null; state: { $in?: string[]; $nin?: readonly string[] } };

/**
 * One offer document updated as FerretDB 1.24 does a findAndModify: it reads the document, and
 * writes the whole of it back later, with no lock in between. Two updates that overlap both
 * match, and the one written last wins.
 */
class NonAtomicOffers {
  doc: ImageOffer & { closedReason?: string | null } = {
    _id: 'sha:gw-1',
    deploymentId: 'dep-1',
    gatewayId: 'gw-1',
    companyId: '2',
    version: '2.0',
    sha256: 'sha',
    size: 100,
    chunkSize: 10,
    chunkCount: 10,
    fileId: null as unknown as ImageOffer['fileId'],
    state: 'offered',
    bytes: 0,
    reason: null,
  };
  // How long each update takes between its read and its write: a later update overtakes an earlier, slower one.
  delays: number[] = [];

  findOne() {
    return { lean: async () => ({ sha256: this.doc.sha256 }) };
  }

  findOneAndUpdate(filter: Filter, update: { $set: Record<string, unknown> }) {
    const delay = this.delays.shift() ?? 0;
    return {
      lean: async () => {
        const read = { ...this.doc };
        if (!this.matches(read, filter)) return null;
        await new Promise((resolve) => setTimeout(resolve, delay));
        this.doc = { ...read, ...update.$set } as typeof this.doc;
        return this.doc;
      },
    };
  }

  private matches(doc: typeof this.doc, filter: Filter): boolean {
    if (doc._id !== filter._id || doc.deploymentId !== filter.deploymentId) return false;
    if ('closedReason' in filter && doc.closedReason) return false;
    if (filter.state.$in && !filter.state.$in.includes(doc.state)) return false;
    return !(filter.state.$nin && filter.state.$nin.includes(doc.state));
  }
}

function report(state: ProgressState, bytes: number | null = null): Progress {
  return { deploymentId: 'dep-1', state, bytes, reason: null };
}

describe('DeliveryProgressService', () => {
  let offers: NonAtomicOffers;
  let service: DeliveryProgressService;
  let decisions: TargetDecisionListener;

  beforeEach(() => {
    offers = new NonAtomicOffers();
    const tracker = {
      onDecisions: (listener: TargetDecisionListener) => (decisions = listener),
      decideReported: async () => 1,
    } as unknown as DeploymentTracker;
    service = new DeliveryProgressService(
      offers as unknown as Model<ImageOffer>,
      { forget: () => undefined } as unknown as ImageDeliveryService,
      tracker,
      { publish: () => undefined } as unknown as LiveEventsService,
      new MetricsService(),
    );
  });

  it('keeps succeeded when the slower write of the installing report before it would land last', async () => {
    await service.receive('gw-1', report('verified', 100));
    // `installing` takes 30 ms between its read and its write; `succeeded`, sent right after it, none.
    offers.delays = [30, 0];
    await Promise.all([service.receive('gw-1', report('installing')), service.receive('gw-1', report('succeeded'))]);
    expect(offers.doc.state).toBe('succeeded');
  });

  it('never lets a report handled late take the state back', async () => {
    await service.receive('gw-1', report('downloaded', 100));
    await service.receive('gw-1', report('downloading', 50));
    expect(offers.doc).toMatchObject({ state: 'downloaded', bytes: 100 });
  });

  it('ends the offer of a confirmed target as succeeded, and closes that of a failed one', async () => {
    await service.receive('gw-1', report('installing'));
    const target = { deploymentId: 'dep-1', gatewayId: 'gw-1', protocol: 2 } as TargetChange['target'];
    await decisions([{ target, status: 'confirmed', reason: null, reportedVersion: '2.0' }]);
    expect(offers.doc.state).toBe('succeeded');

    offers.doc = { ...offers.doc, state: 'downloading', closedReason: null };
    await decisions([{ target, status: 'failed', reason: 'timeout', reportedVersion: null }]);
    expect(offers.doc).toMatchObject({ state: 'downloading', closedReason: 'timeout' });
    await service.receive('gw-1', report('downloading', 80));
    expect(offers.doc.bytes).not.toBe(80);
  });
});

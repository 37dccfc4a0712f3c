import { Types } from 'mongoose';
import { useThrowawayDatabase } from '../../test/throwaway-database';
import { Deployment, DeploymentSchema } from './deployment.schema';
import { settleCandidates, type SettleCursor } from './settle-candidates';

describe('settleCandidates (real database)', () => {
  const database = useThrowawayDatabase('settle-candidates');

  it('reads every candidate in turn, oldest first, and from the oldest again after the newest', async () => {
    const deployments = database().model(Deployment.name, DeploymentSchema);
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
    const deployment = (createdAt: Date, fields: Record<string, unknown> = {}) => ({
      _id: new Types.ObjectId(),
      version: '1.1',
      scope: 'list',
      companyIds: ['2'],
      targetCount: 1,
      published: true,
      settled: false,
      createdAt,
      ...fields,
    });
    // Two of one millisecond: the cursor must not skip the second.
    const candidates = [deployment(at(1)), deployment(at(2)), deployment(at(2)), deployment(at(3)), deployment(at(4))];
    const others = [deployment(at(0), { settled: true }), deployment(at(1), { published: false }), deployment(at(9))];
    await deployments.collection.insertMany([...others, ...candidates]);
    const ids = (found: SettleCursor[]) => found.map(({ _id }) => String(_id));
    const expected = [...candidates]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || String(a._id).localeCompare(String(b._id)))
      .map(({ _id }) => String(_id));

    const seen: string[] = [];
    let after: SettleCursor | null = null;
    for (let round = 0; round < 3; round += 1) {
      const { candidates: found, next }: { candidates: SettleCursor[]; next: SettleCursor | null } = await settleCandidates(deployments, at(5), 2, after);
      seen.push(...ids(found));
      after = next;
    }
    // 2 + 2 + 1: the last round reached the newest, so the next starts from the oldest.
    expect(seen).toEqual(expected);
    expect(after).toBeNull();
    expect(ids((await settleCandidates(deployments, at(5), 2, after)).candidates)).toEqual(expected.slice(0, 2));
  });
});

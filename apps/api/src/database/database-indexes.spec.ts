import type { IndexDefinition, IndexOptions } from 'mongoose';
import { indexesToBuild } from './database-indexes.service';

const declared: [IndexDefinition, IndexOptions][] = [
  [{ gatewayId: 1 }, { unique: true }],
  [{ companyId: 1, lastSeenAt: -1 }, {}],
  [{ email: 1 }, { unique: true, background: true }],
  [{ 'upgrade.status': 1 }, { unique: false }],
];

describe('indexesToBuild', () => {
  it('builds every declared index on MongoDB', () => {
    expect(indexesToBuild(declared, 'all')).toEqual(declared);
  });

  it('builds only the unique ones where secondary indexes serve no query', () => {
    expect(indexesToBuild(declared, 'unique').map(([fields]) => fields)).toEqual([{ gatewayId: 1 }, { email: 1 }]);
  });
});

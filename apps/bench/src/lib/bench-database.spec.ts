import { gatewayIdPrefix } from './bench-database';

describe('gatewayIdPrefix', () => {
  it('is the range of ids that start with the prefix', () => {
    const range = gatewayIdPrefix('bench-ab12-');
    expect(range).toEqual({ $gte: 'bench-ab12-', $lt: 'bench-ab12.' });
    const inRange = (id: string) => id >= range.$gte && id < range.$lt;
    expect(inRange('bench-ab12-1')).toBe(true);
    expect(inRange('bench-ab12-10000')).toBe(true);
    expect(inRange('bench-ab12')).toBe(false);
    expect(inRange('bench-ab13-1')).toBe(false);
    expect(inRange('seed-ab12-1')).toBe(false);
  });
});

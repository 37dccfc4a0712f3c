import { formatTable } from './output';
import { formatBytes } from './progress';

describe('output', () => {
  it('aligns columns and shows empty cells as "-"', () => {
    expect(
      formatTable(
        ['ID', 'VERSION'],
        [
          ['gw-1', '1.2'],
          ['gateway-22', null],
        ],
      ),
    ).toBe('ID          VERSION\ngw-1        1.2\ngateway-22  -');
  });

  it('formats byte counts', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 * 1024)]).toEqual(['512 B', '1.5 KiB', '3.0 MiB']);
  });
});

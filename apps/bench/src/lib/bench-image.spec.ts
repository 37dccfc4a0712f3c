import { buildBenchImage, readBenchImageHeader } from './bench-image';

describe('bench image', () => {
  it('has the requested size and names its run and version', () => {
    const image = buildBenchImage('ab12', '2.0', 4096);
    expect(image.length).toBe(4096);
    expect(readBenchImageHeader(image)).toEqual({ runId: 'ab12', version: '2.0' });
  });

  it('is never shorter than its header', () => {
    const image = buildBenchImage('ab12', '2.0', 1);
    expect(image.toString()).toBe('UMBENCH1 ab12 2.0\n');
  });

  it('does not recognise other content', () => {
    expect(readBenchImageHeader(Buffer.from('1.2'))).toBeNull();
    expect(readBenchImageHeader(Buffer.from('OTHER ab12 2.0\n'))).toBeNull();
    expect(readBenchImageHeader(Buffer.from('UMBENCH1 ab12\n'))).toBeNull();
    expect(readBenchImageHeader(Buffer.alloc(1024))).toBeNull();
  });
});

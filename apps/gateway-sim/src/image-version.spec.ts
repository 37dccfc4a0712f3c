import { versionFromContent } from './image-version';

describe('versionFromContent', () => {
  it.each([
    ['1.2', '1.2'],
    ['1.2\n', '1.2'],
    [' 1.10 \r\n', '1.10'],
    ['2.0.1\nELF...binary follows', '2.0.1'],
    ['7', '7'],
  ])('reads %j as %s', (text, version) => {
    expect(versionFromContent(Buffer.from(text, 'latin1'))).toBe(version);
  });

  it.each([[''], ['v1.2'], ['1.2 beta'], ['1..2'], ['hello\n1.2'], ['1.2' + ' '.repeat(80)]])('finds no version in %j', (text) => {
    expect(versionFromContent(Buffer.from(text, 'latin1'))).toBeNull();
  });

  it('finds no version in binary content and reads only the start of large content', () => {
    expect(versionFromContent(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x0a, 0x00]))).toBeNull();
    const large = Buffer.concat([Buffer.from('3.4\n'), Buffer.alloc(3 * 1024 * 1024, 0xff)]);
    expect(versionFromContent(large)).toBe('3.4');
    expect(versionFromContent(Buffer.alloc(3 * 1024 * 1024, 0x31))).toBeNull();
  });

  it('works on a view into a larger buffer', () => {
    const frame = Buffer.from('xxxxxxxxxxxx1.5');
    expect(versionFromContent(frame.subarray(12))).toBe('1.5');
  });
});

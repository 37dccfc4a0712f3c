import { multipartBody } from './api-client';

describe('multipartBody', () => {
  it('puts the fields before the file and keeps the bytes as they are', () => {
    const content = Buffer.from([0, 255, 13, 10, 45, 45]);
    const { body, contentType } = multipartBody({ version: '2.0' }, { name: 'file', filename: 'x.bin', content });
    const boundary = /boundary=(.+)$/.exec(contentType)?.[1] ?? '';
    expect(boundary).toMatch(/^----bench[0-9a-f]{24}$/);
    const text = body.toString('latin1');
    expect(text.indexOf('name="version"')).toBeLessThan(text.indexOf('name="file"'));
    const start = body.indexOf('\r\n\r\n', body.indexOf('name="file"')) + 4;
    expect(body.subarray(start, start + content.length).equals(content)).toBe(true);
    expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  });
});

import { ProgressLine } from './progress-line';

function output(isTTY: boolean, columns?: number) {
  const written: string[] = [];
  return { written, stream: { isTTY, columns, write: (text: string) => written.push(text) } };
}

describe('ProgressLine', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('rewrites one line on a terminal, only when it changed', () => {
    const { written, stream } = output(true, 20);
    let value = 'a';
    const line = new ProgressLine(stream, () => value, 100);
    line.start();
    jest.advanceTimersByTime(300);
    value = 'b'.repeat(30);
    jest.advanceTimersByTime(100);
    line.log('hello');
    line.stop();
    expect(written).toEqual(['\r\x1b[2Ka', `\r\x1b[2K${'b'.repeat(18)}…`, `\r\x1b[2Khello\n${'b'.repeat(18)}…`, `\r\x1b[2K${'b'.repeat(18)}…`, '\n']);
  });

  it('prints whole lines when changed elsewhere', () => {
    const { written, stream } = output(false);
    let value = 'a';
    const line = new ProgressLine(stream, () => value, 100);
    line.start();
    jest.advanceTimersByTime(300);
    value = 'b';
    jest.advanceTimersByTime(100);
    line.log('hello');
    line.stop();
    expect(written).toEqual(['a\n', 'b\n', 'hello\n', 'b\n']);
  });
});

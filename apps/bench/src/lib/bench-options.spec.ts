import { benchCommand, parseBenchOptions, parseByteSize } from './bench-options';

const argv = (...args: string[]) => ['node', 'main.js', ...args];

function parse(...args: string[]) {
  return parseBenchOptions(
    argv(...args),
    benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined }),
  );
}

describe('parseByteSize', () => {
  it('reads bytes and binary or decimal units', () => {
    expect(parseByteSize('65536')).toBe(65536);
    expect(parseByteSize('64KiB')).toBe(65536);
    expect(parseByteSize('1MiB')).toBe(1024 ** 2);
    expect(parseByteSize('1.5mb')).toBe(1_500_000);
  });

  it('rejects anything else', () => {
    expect(() => parseByteSize('lots')).toThrow(/not a size/);
    expect(() => parseByteSize('1 parsec')).toThrow(/not a size/);
    expect(() => parseByteSize('0')).toThrow(/at least/);
  });
});

describe('parseBenchOptions', () => {
  it('has the issue defaults', () => {
    expect(parse()).toMatchObject({
      gateways: 1000,
      statuses: 10,
      imageBytes: 1024 ** 2,
      listGateways: 10_000,
      listRequests: 200,
      skipIngest: false,
      skipRollout: false,
      skipList: false,
      resultsDir: 'bench/results',
      smoke: false,
      apiInstances: 1,
    });
    expect(parse('--api-instances', '2').apiInstances).toBe(2);
  });

  it('takes flags, and lists at least N gateways', () => {
    const options = parse('--gateways', '12000', '--statuses=3', '--image-bytes', '64KiB', '--skip-list', '--no-save');
    expect(options).toMatchObject({ gateways: 12000, statuses: 3, imageBytes: 65536, listGateways: 12000, skipList: true, resultsDir: null });
  });

  it('keeps N × S within 1 GiB unless the image size is given', () => {
    expect(parse('--gateways', '10000')).toMatchObject({ imageBytes: 107374, imageBytesReduced: true });
    expect(parse('--gateways', '10000', '--image-bytes', '1MiB')).toMatchObject({ imageBytes: 1024 ** 2, imageBytesReduced: false });
    expect(parse('--gateways', '1024')).toMatchObject({ imageBytes: 1024 ** 2, imageBytesReduced: false });
  });

  it('makes the smoke run tiny and keeps its results out of the repository', () => {
    const options = parse('--smoke');
    expect(options).toMatchObject({ gateways: 20, statuses: 2, imageBytes: 64 * 1024, smoke: true });
    expect(options.resultsDir).not.toBe('bench/results');
  });

  it('warms the API up with small rollouts before the measured ones unless --no-warm-up', () => {
    expect(parse().warmUp).toBe(true);
    expect(parse('--smoke').warmUp).toBe(true);
    expect(parse('--no-warm-up').warmUp).toBe(false);
  });

  it('rejects a bad number', () => {
    expect(() => parse('--gateways', '0')).toThrow(/positive integer/);
  });

  it('adds the v2 rollout with --protocol 2 (1 by default), and knows no other protocol', () => {
    expect(parse().protocol).toBe(1);
    expect(parse('--protocol', '2', '--image-bytes', '1073741824', '--gateways', '10')).toMatchObject({ protocol: 2, imageBytes: 1024 ** 3, gateways: 10 });
    expect(() => parse('--protocol', '3')).toThrow(/not a protocol version/);
  });
});

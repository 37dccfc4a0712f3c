import { decodeFrame, parseAvailableVersionsPayload, parseLatestVersionPayload } from '@upgrade-manager/frame-codec';
import type { FramePublisher } from '../mqtt/frame-publisher.service';
import { GatewayMessenger } from './gateway-messenger.service';

function setup() {
  const published: Array<{ topic: string; frame: Buffer }> = [];
  const publisher = { publish: async (topic: string, frame: Buffer) => void published.push({ topic, frame }) } as unknown as FramePublisher;
  return { messenger: new GatewayMessenger(publisher), published };
}

describe('GatewayMessenger', () => {
  it('sends Latest Version and Available Versions to one gateway or to all', async () => {
    const { messenger, published } = setup();
    await messenger.sendLatestVersion('1.10', 'gw-1');
    await messenger.sendAvailableVersions(['0.5', '1.10']);
    expect(published.map((message) => message.topic)).toEqual(['TOGATEWAY/LATEST_VERSION/gw-1', 'TOGATEWAY/AVAILABLE_VERSIONS']);
    expect(parseLatestVersionPayload(decodeFrame(published[0].frame).payload)).toEqual({ version: '1.10' });
    expect(parseAvailableVersionsPayload(decodeFrame(published[1].frame).payload)).toEqual({ versions: ['0.5', '1.10'] });
  });

  it('frames an image once and publishes that same Buffer to every target', async () => {
    const { messenger, published } = setup();
    const image = Buffer.from([0, 1, 2, 255]);
    const frame = messenger.encodeImageFrame(image);
    expect(decodeFrame(frame).payload.equals(image)).toBe(true);
    await messenger.sendUpgrade(frame, ['gw-1', 'gw-2']);
    await messenger.sendUpgrade(frame);
    await messenger.sendDownloadUpgrade('gw-3', frame);
    expect(published.map((message) => message.topic)).toEqual([
      'TOGATEWAY/UPGRADE/gw-1',
      'TOGATEWAY/UPGRADE/gw-2',
      'TOGATEWAY/UPGRADE',
      'TOGATEWAY/DOWNLOAD_UPGRADE/gw-3',
    ]);
    expect(published.every((message) => message.frame === frame)).toBe(true);
  });

  it('names the gateways whose Upgrade the broker did not take, and only those', async () => {
    const publisher = {
      publish: async (topic: string) => {
        if (topic.endsWith('/gw-2')) throw new Error('broker gone');
        return true;
      },
    } as unknown as FramePublisher;
    const messenger = new GatewayMessenger(publisher);
    expect(await messenger.sendUpgrade(messenger.encodeImageFrame(Buffer.alloc(4)), ['gw-1', 'gw-2', 'gw-3'])).toEqual(['gw-2']);
  });

  it('frames the same image Buffer once, however many gateways ask for it', () => {
    const { messenger } = setup();
    const image = Buffer.alloc(1024, 7);
    const frames = Array.from({ length: 100 }, () => messenger.encodeImageFrame(image));
    expect(new Set(frames).size).toBe(1);
    expect(messenger.encodeImageFrame(Buffer.from(image))).not.toBe(frames[0]);
  });

  it('sends one Download Upgrade per gateway at a time: a repeated request meanwhile is dropped', async () => {
    const published: string[] = [];
    let release: () => void = () => undefined;
    const publisher = {
      publish: (topic: string) => new Promise<boolean>((resolve) => (published.push(topic), (release = () => resolve(true)))),
    } as unknown as FramePublisher;
    const messenger = new GatewayMessenger(publisher);
    const frame = messenger.encodeImageFrame(Buffer.alloc(16));
    const first = messenger.sendDownloadUpgrade('gw-1', frame);
    expect(await messenger.sendDownloadUpgrade('gw-1', frame)).toBe(false);
    release();
    expect(await first).toBe(true);
    const again = messenger.sendDownloadUpgrade('gw-1', frame);
    release();
    expect(await again).toBe(true);
    expect(published).toEqual(['TOGATEWAY/DOWNLOAD_UPGRADE/gw-1', 'TOGATEWAY/DOWNLOAD_UPGRADE/gw-1']);
  });

  it('marks answers to one gateway droppable, broadcasts not', async () => {
    const options: Array<{ droppable?: boolean }> = [];
    const publisher = {
      publish: async (_topic: string, _frame: Buffer, option: { droppable?: boolean }) => (options.push(option), true),
    } as unknown as FramePublisher;
    const messenger = new GatewayMessenger(publisher);
    await messenger.sendLatestVersion('1.0', 'gw-1');
    await messenger.sendLatestVersion('1.0');
    await messenger.sendUpgrade(messenger.encodeImageFrame(Buffer.alloc(4)), ['gw-1']);
    expect(options.map((option) => option?.droppable ?? false)).toEqual([true, false, false]);
  });
});

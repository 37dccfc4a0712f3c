import { decodeFrame, encodeFrame } from '@upgrade-manager/frame-codec';
import {
  chunkCountOf,
  decodeChunkRequest,
  decodeProgress,
  encodeChunk,
  encodeOffer,
  generateSigningKey,
  keyIdOf,
  publicKeyFromRaw,
  rawPublicKey,
  sharedChunkTopic,
  signManifest,
  type Offer,
  type Progress,
} from '@upgrade-manager/protocol-v2';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Installer } from './command-installer';
import { UpgradeAgent, type AgentTransport, type UpgradeAgentOptions } from './upgrade-agent';

const GW = 'gw-1';
const CHUNK = 1024;
const signer = generateSigningKey();
const keyId = keyIdOf(signer);
const trustedKeys = new Map([[keyId, publicKeyFromRaw(rawPublicKey(signer))]]);

function offerOf(image: Buffer, shared: boolean, deploymentId = 'dep-1'): Offer {
  const manifest = { version: '2.0', size: image.length, sha256: createHash('sha256').update(image).digest('hex'), keyId };
  return { ...manifest, deploymentId, chunkSize: CHUNK, chunkCount: chunkCountOf(image.length, CHUNK), signature: signManifest(manifest, signer), shared };
}

/** A cloud in memory: answers chunk requests at once, records progress and requested chunks. */
class FakeCloud implements AgentTransport {
  readonly progress: Progress[] = [];
  readonly requested: number[] = [];
  agent: UpgradeAgent | null = null;
  tamper: ((index: number, data: Buffer) => Buffer) | null = null;
  /** Final reports the broker "refuses" before it takes one. */
  refuseFinalReports = 0;

  constructor(private readonly image: Buffer) {}

  chunkFrame(index: number): Buffer {
    const data = Buffer.from(this.image.subarray(index * CHUNK, (index + 1) * CHUNK));
    const sha256 = createHash('sha256').update(this.image).digest('hex');
    return encodeFrame(encodeChunk({ sha256, index, data: this.tamper ? this.tamper(index, data) : data }));
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    const body = decodeFrame(payload).payload;
    if (topic === `TOCLOUD/UPGRADE_PROGRESS/${GW}`) {
      const progress = decodeProgress(body);
      if (['succeeded', 'failed', 'rejected'].includes(progress.state) && this.refuseFinalReports > 0) {
        this.refuseFinalReports--;
        throw new Error('connection lost');
      }
      this.progress.push(progress);
    }
    if (topic === `TOCLOUD/REQUEST_CHUNKS/${GW}`) {
      for (const { first, count } of decodeChunkRequest(body).ranges) {
        for (let i = first; i < first + count; i++) {
          this.requested.push(i);
          setImmediate(() => this.agent?.handle(`TOGATEWAY/UPGRADE_CHUNK/${GW}`, this.chunkFrame(i)));
        }
      }
    }
  }

  async subscribe(): Promise<void> {}
  async unsubscribe(): Promise<void> {}

  states(): string[] {
    return this.progress.map((p) => p.state).filter((state, i, all) => state !== 'downloading' || all[i - 1] !== 'downloading');
  }
}

function recordingInstaller(dir: string, failHealth = false): Installer & { installed: string[]; rolledBack: number } {
  const installer = {
    installed: [] as string[],
    rolledBack: 0,
    async install(path: string) {
      const target = join(dir, 'installed.bin');
      renameSync(path, target);
      installer.installed.push(target);
    },
    async healthCheck() {
      if (failHealth) throw new Error('health check exited with code 3');
    },
    async rollback() {
      installer.rolledBack++;
    },
  };
  return installer;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('UpgradeAgent', () => {
  let dir: string;
  const agents: UpgradeAgent[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'um-agent-'))));
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  function agentFor(cloud: FakeCloud, installer: Installer, extra: Partial<UpgradeAgentOptions> = {}): UpgradeAgent {
    const agent = new UpgradeAgent({
      gatewayId: GW,
      stateDir: join(dir, 'state'),
      trustedKeys,
      transport: cloud,
      installer,
      idleMs: 50,
      tickMs: 10,
      requestTimeoutMs: 200,
      ...extra,
    });
    cloud.agent = agent;
    agents.push(agent);
    return agent;
  }

  it('downloads the shared stream, asks for what it dropped, verifies and installs byte-exact', async () => {
    const image = randomBytes(40 * CHUNK + 100);
    const cloud = new FakeCloud(image);
    const installer = recordingInstaller(dir);
    const installed: string[] = [];
    const agent = agentFor(cloud, installer, { dropRate: 0.3, onInstalled: async (version) => void installed.push(version) });
    await agent.start();
    const offer = offerOf(image, true);
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offer)));
    await until(() => cloud.progress.length > 0);
    for (let i = 0; i < offer.chunkCount; i++) agent.handle(sharedChunkTopic(offer.sha256), cloud.chunkFrame(i));
    await until(() => installed.length === 1);
    expect(installed).toEqual(['2.0']);
    expect(readFileSync(join(dir, 'installed.bin')).equals(image)).toBe(true);
    expect(cloud.states()).toEqual(['downloading', 'downloaded', 'verified', 'installing', 'succeeded']);
    expect(agent.stats.droppedChunks).toBeGreaterThan(0);
    expect(cloud.requested.length).toBeGreaterThanOrEqual(agent.stats.droppedChunks * 0.5);
    expect(existsSync(join(dir, 'state', `${offer.sha256}.part`))).toBe(false);
  });

  it('with a shared stream, waits for its first chunk before asking, and fetches everything itself when it never comes', async () => {
    const image = randomBytes(8 * CHUNK);
    const cloud = new FakeCloud(image);
    const installed: string[] = [];
    const agent = agentFor(cloud, recordingInstaller(dir), { firstSharedWaitMs: 300, onInstalled: async (version) => void installed.push(version) });
    await agent.start();
    const offer = offerOf(image, true);
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offer)));
    await until(() => cloud.progress.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(cloud.requested).toEqual([]);
    // The stream never comes: after the first wait the agent fetches everything itself.
    await until(() => installed.length === 1);
    expect(cloud.requested.length).toBe(offer.chunkCount);
  });

  it('while the shared stream flows, asks only for the chunks it passed', async () => {
    const image = randomBytes(16 * CHUNK);
    const cloud = new FakeCloud(image);
    const installed: string[] = [];
    const agent = agentFor(cloud, recordingInstaller(dir), {
      firstSharedWaitMs: 60_000,
      idleMs: 60_000,
      onInstalled: async (version) => void installed.push(version),
    });
    await agent.start();
    const offer = offerOf(image, true);
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offer)));
    await until(() => cloud.progress.length > 0);
    // Chunks 3 and 5 are lost on the way; the stream is at chunk 9.
    for (let i = 0; i < 10; i++) if (i !== 3 && i !== 5) agent.handle(sharedChunkTopic(offer.sha256), cloud.chunkFrame(i));
    await until(() => cloud.requested.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cloud.requested).toEqual([3, 5]);
    for (let i = 10; i < offer.chunkCount; i++) agent.handle(sharedChunkTopic(offer.sha256), cloud.chunkFrame(i));
    await until(() => installed.length === 1);
    expect(cloud.requested).toEqual([3, 5]);
    expect(readFileSync(join(dir, 'installed.bin')).equals(image)).toBe(true);
  });

  it('reports the bytes it holds once more when the chunks stop (the shared stream waits for that figure)', async () => {
    const image = randomBytes(8 * CHUNK);
    const cloud = new FakeCloud(image);
    const agent = agentFor(cloud, recordingInstaller(dir), { firstSharedWaitMs: 60_000, idleMs: 60_000 });
    await agent.start();
    const offer = offerOf(image, true);
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offer)));
    await until(() => cloud.progress.length > 0);
    for (let i = 0; i < 3; i++) agent.handle(sharedChunkTopic(offer.sha256), cloud.chunkFrame(i));
    await until(() => cloud.progress.at(-1)?.bytes === 3 * CHUNK, 3_000);
    expect(cloud.progress.map((p) => p.state)).toEqual(['downloading', 'downloading']);
  });

  it('rejects an offer signed by an untrusted key and downloads nothing', async () => {
    const image = randomBytes(5000);
    const cloud = new FakeCloud(image);
    const installer = recordingInstaller(dir);
    const agent = agentFor(cloud, installer, { trustedKeys: new Map([['other', publicKeyFromRaw(rawPublicKey(generateSigningKey()))]]) });
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(image, false))));
    await until(() => cloud.progress.length > 0);
    expect(cloud.progress).toEqual([{ deploymentId: 'dep-1', state: 'rejected', bytes: null, reason: `signing key ${keyId} is not trusted` }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cloud.requested).toEqual([]);
    expect(installer.installed).toEqual([]);
  });

  it('rejects an image with a tampered chunk and installs nothing', async () => {
    const image = randomBytes(10 * CHUNK);
    const cloud = new FakeCloud(image);
    cloud.tamper = (index, data) => {
      if (index === 3) data[7] = (data[7] ?? 0) ^ 0xff;
      return data;
    };
    const installer = recordingInstaller(dir);
    const agent = agentFor(cloud, installer);
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(image, false))));
    await until(() => cloud.progress.some((p) => p.state === 'rejected'));
    expect(cloud.states()).toEqual(['downloading', 'downloaded', 'rejected']);
    expect(cloud.progress.at(-1)?.reason).toMatch(/^sha256 of the downloaded image is/);
    expect(installer.installed).toEqual([]);
  });

  it('resumes after a restart, asking only for the chunks it lacks', async () => {
    const image = randomBytes(50 * CHUNK);
    const first = new FakeCloud(image);
    let exited = false;
    // Every chunk is asked for at once: those after the exit arrive, but are never written.
    const agent = agentFor(first, recordingInstaller(dir), { exitAfterBytes: 15 * CHUNK, onExitAfterBytes: () => (exited = true) });
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(image, false))));
    await until(() => exited);
    const before = agent.stats.receivedBytes;
    expect(before).toBe(15 * CHUNK);
    expect(first.progress.map((p) => p.state)).toEqual(['downloading']);

    const second = new FakeCloud(image);
    const installer = recordingInstaller(dir);
    const restarted = agentFor(second, installer);
    await restarted.start();
    await until(() => second.progress.some((p) => p.state === 'succeeded'));
    expect(readFileSync(join(dir, 'installed.bin')).equals(image)).toBe(true);
    expect(restarted.stats.receivedBytes + before).toBeLessThan(1.2 * image.length);
    expect(second.progress[0]).toMatchObject({ state: 'downloading' });
    expect(second.progress[0]?.bytes).toBeGreaterThan(0);
  });

  it('resuming a shared download, waits only as after a shared chunk before asking for what it lacks', async () => {
    const image = randomBytes(20 * CHUNK);
    const offer = offerOf(image, true);
    const first = new FakeCloud(image);
    let exited = false;
    const agent = agentFor(first, recordingInstaller(dir), {
      firstSharedWaitMs: 60_000,
      idleMs: 60_000,
      exitAfterBytes: 6 * CHUNK,
      onExitAfterBytes: () => (exited = true),
    });
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offer)));
    await until(() => first.progress.length > 0);
    for (let i = 0; i < 6; i++) agent.handle(sharedChunkTopic(offer.sha256), first.chunkFrame(i));
    await until(() => exited);
    expect(first.requested).toEqual([]);

    // The stream is over: after the quiet time (not the first wait) it fetches the rest itself.
    const second = new FakeCloud(image);
    const restarted = agentFor(second, recordingInstaller(dir), { firstSharedWaitMs: 60_000, idleMs: 300 });
    await restarted.start();
    await until(() => second.progress.some((p) => p.state === 'succeeded'));
    expect(second.requested.length).toBeGreaterThanOrEqual(offer.chunkCount - 6);
    expect(readFileSync(join(dir, 'installed.bin')).equals(image)).toBe(true);
  });

  it('rolls back and reports failed when the health check fails', async () => {
    const image = randomBytes(3 * CHUNK);
    const cloud = new FakeCloud(image);
    const installer = recordingInstaller(dir, true);
    const agent = agentFor(cloud, installer);
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(image, false))));
    await until(() => cloud.progress.some((p) => p.state === 'failed'));
    expect(cloud.states()).toEqual(['downloading', 'downloaded', 'verified', 'installing', 'failed']);
    expect(cloud.progress.at(-1)?.reason).toBe('health check exited with code 3');
    expect(installer.rolledBack).toBe(1);
  });

  it('answers a redelivered Offer with how it ended instead of installing twice', async () => {
    const image = randomBytes(3 * CHUNK);
    const cloud = new FakeCloud(image);
    const installer = recordingInstaller(dir);
    const agent = agentFor(cloud, installer);
    await agent.start();
    const frame = encodeFrame(encodeOffer(offerOf(image, false)));
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, frame);
    await until(() => cloud.progress.some((p) => p.state === 'succeeded'));
    const requests = cloud.requested.length;
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, frame);
    await until(() => cloud.progress.filter((p) => p.state === 'succeeded').length === 2);
    expect(installer.installed).toHaveLength(1);
    expect(cloud.requested).toHaveLength(requests);
  });

  it('repeats a final report until the broker takes it, and sends it again after a restart if it never did', async () => {
    const image = randomBytes(3 * CHUNK);
    const cloud = new FakeCloud(image);
    cloud.refuseFinalReports = 2;
    const agent = agentFor(cloud, recordingInstaller(dir));
    await agent.start();
    agent.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(image, false))));
    await until(() => cloud.progress.some((p) => p.state === 'succeeded'));
    expect(cloud.refuseFinalReports).toBe(0);
    expect(agent.installedVersion).toBe('2.0');

    // Stopped (a power cut) while the broker refuses: the restarted agent sends the report first.
    const other = randomBytes(2 * CHUNK);
    const refusing = new FakeCloud(other);
    refusing.refuseFinalReports = 1_000;
    const second = agentFor(refusing, recordingInstaller(dir), { trustedKeys: new Map() });
    await second.start();
    second.handle(`TOGATEWAY/UPGRADE_OFFER/${GW}`, encodeFrame(encodeOffer(offerOf(other, false, 'dep-2'))));
    await until(() => refusing.refuseFinalReports < 1_000);
    await second.stop();
    const after = new FakeCloud(other);
    const restarted = agentFor(after, recordingInstaller(dir));
    await restarted.start();
    await until(() => after.progress.length > 0);
    expect(after.progress).toEqual([{ deploymentId: 'dep-2', state: 'rejected', bytes: null, reason: `signing key ${keyId} is not trusted` }]);
    expect(restarted.installedVersion).toBe('2.0');
  });

  it('ignores topics that are not its own', () => {
    const agent = agentFor(new FakeCloud(Buffer.alloc(1)), recordingInstaller(dir));
    expect(agent.handle('TOGATEWAY/UPGRADE/gw-1', Buffer.alloc(12))).toBe(false);
  });
});

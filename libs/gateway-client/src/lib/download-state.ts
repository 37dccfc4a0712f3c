import { decodeOffer, encodeOffer, type Offer } from '@upgrade-manager/protocol-v2';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Which chunks of an image are on disk: one bit per chunk. */
export class ChunkBitmap {
  readonly bits: Buffer;
  private have = 0;

  constructor(
    readonly chunkCount: number,
    bits?: Buffer,
  ) {
    this.bits = bits && bits.byteLength === Math.ceil(chunkCount / 8) ? bits : Buffer.alloc(Math.ceil(chunkCount / 8));
    for (let i = 0; i < chunkCount; i++) if (this.has(i)) this.have++;
  }

  get count(): number {
    return this.have;
  }

  get complete(): boolean {
    return this.have === this.chunkCount;
  }

  has(index: number): boolean {
    return ((this.bits[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }

  set(index: number): void {
    if (this.has(index)) return;
    this.bits[index >> 3] = (this.bits[index >> 3] ?? 0) | (1 << (index & 7));
    this.have++;
  }
}

/** What the agent keeps on disk beside the staging file, to resume after a restart. */
export interface SavedDownload {
  offer: Offer;
  bitmap: ChunkBitmap;
}

export const STATE_FILE = 'download.json';
export const ENDED_FILE = 'last-delivery.json';

/** How the last delivery ended, so that a redelivered Offer is answered instead of installed twice. */
export interface EndedDelivery {
  deploymentId: string;
  sha256: string;
  /** The version the gateway runs after this delivery (installed by it or an earlier one); null: none installed by the agent. */
  installedVersion?: string | null;
  state: 'succeeded' | 'failed' | 'rejected';
  reason: string | null;
  /** False until the broker acknowledged the final report: a restart before that sends it again. */
  reported?: boolean;
}

export function stagingPath(stateDir: string, sha256: string): string {
  return join(stateDir, `${sha256}.part`);
}

/** Written to a temporary file and renamed, so a power cut leaves the old state or the new one. */
export async function saveDownload(stateDir: string, saved: SavedDownload): Promise<void> {
  const path = join(stateDir, STATE_FILE);
  const body = JSON.stringify({ offer: encodeOffer(saved.offer).toString('utf8'), bitmap: saved.bitmap.bits.toString('base64') });
  await writeFile(`${path}.tmp`, body);
  await rename(`${path}.tmp`, path);
}

/** The saved download, or null when there is none (or it cannot be read: then it starts over). */
export async function loadDownload(stateDir: string): Promise<SavedDownload | null> {
  try {
    const saved = JSON.parse(await readFile(join(stateDir, STATE_FILE), 'utf8')) as { offer: string; bitmap: string };
    const offer = decodeOffer(Buffer.from(saved.offer, 'utf8'));
    return { offer, bitmap: new ChunkBitmap(offer.chunkCount, Buffer.from(saved.bitmap, 'base64')) };
  } catch {
    return null;
  }
}

export async function saveEnded(stateDir: string, ended: EndedDelivery): Promise<void> {
  const path = join(stateDir, ENDED_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(ended));
  await rename(`${path}.tmp`, path);
}

export async function loadEnded(stateDir: string): Promise<EndedDelivery | null> {
  try {
    const ended = JSON.parse(await readFile(join(stateDir, ENDED_FILE), 'utf8')) as EndedDelivery;
    return typeof ended.deploymentId === 'string' && typeof ended.sha256 === 'string' ? ended : null;
  } catch {
    return null;
  }
}

import { sortVersions } from '@upgrade-manager/frame-codec';
import type { SimEvent } from './simulated-gateway';

/** Counters of a simulated fleet, fed with the gateways' events; what the progress line shows. */
export class FleetStats {
  connected = 0;
  connectFailures = 0;
  upgradesDone = 0;
  upgradesFailed = 0;
  downloads = 0;
  invalidFrames = 0;
  sendFailures = 0;
  private readonly versions = new Map<string, number>();

  constructor(
    readonly total: number,
    initialVersion: string,
  ) {
    this.versions.set(initialVersion, total);
  }

  apply(event: SimEvent): void {
    switch (event.kind) {
      case 'upgraded':
        this.upgradesDone++;
        this.moveVersion(event.from, event.to);
        break;
      case 'upgradeFailed':
        this.upgradesFailed++;
        break;
      case 'downloaded':
        this.downloads++;
        break;
      case 'sendFailed':
        this.sendFailures++;
        break;
    }
  }

  /** Gateways per version, oldest version first. */
  versionHistogram(): [version: string, gateways: number][] {
    return sortVersions([...this.versions.keys()]).map((version) => [version, this.versions.get(version) ?? 0]);
  }

  private moveVersion(from: string, to: string): void {
    const left = (this.versions.get(from) ?? 0) - 1;
    if (left > 0) this.versions.set(from, left);
    else this.versions.delete(from);
    this.versions.set(to, (this.versions.get(to) ?? 0) + 1);
  }
}

/** One line: `connected 48/50 | versions 0.5:2 1.2:48 | upgrades 48 ok 0 failed | downloads 3`. */
export function formatProgressLine(stats: FleetStats): string {
  const versions = stats
    .versionHistogram()
    .map(([version, count]) => `${version}:${count}`)
    .join(' ');
  const parts = [
    `connected ${stats.connected}/${stats.total}`,
    `versions ${versions}`,
    `upgrades ${stats.upgradesDone} ok ${stats.upgradesFailed} failed`,
    `downloads ${stats.downloads}`,
  ];
  if (stats.connectFailures) parts.push(`connect failures ${stats.connectFailures}`);
  if (stats.invalidFrames) parts.push(`invalid frames ${stats.invalidFrames}`);
  if (stats.sendFailures) parts.push(`send failures ${stats.sendFailures}`);
  return parts.join(' | ');
}

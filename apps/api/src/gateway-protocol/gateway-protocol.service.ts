import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { GatewayMessenger } from '../gateway-messaging/gateway-messenger.service';
import { MetricsService } from '../metrics/metrics.service';
import { VersionsService } from '../versions/versions.service';
import { GatewayActivityService } from './gateway-activity.service';
import type { DatedStatus, EmptyRequest } from './gateway-routes';

/**
 * The rules of SPEC §1 for the four gateway → cloud messages of protocol v1, each decoded by its
 * route (GatewayMessageRouter). Each resolves when the message's effect is stored or sent; true
 * unless it could not be.
 */
@Injectable()
export class GatewayProtocolService {
  private readonly logger = new Logger(GatewayProtocolService.name);
  private readonly unknownVersions: Counter;

  constructor(
    private readonly activity: GatewayActivityService,
    private readonly versions: VersionsService,
    private readonly messenger: GatewayMessenger,
    metrics: MetricsService,
  ) {
    this.unknownVersions = metrics.counter({ name: 'um_upgrade_requests_unknown_version_total', help: 'Request Upgrade for a version that does not exist' });
  }

  /** A Status, with the date of its frame (a later one is never overwritten by it). */
  status(gatewayId: string, { status, timestampSeconds }: DatedStatus): Promise<boolean> {
    return this.activity.recordStatus(gatewayId, status, timestampSeconds);
  }

  async latestVersionRequested(gatewayId: string, request: EmptyRequest): Promise<boolean> {
    this.noteRequest(gatewayId, 'Request Latest Version', request);
    const latest = await this.versions.latestVersion();
    if (latest === null) this.logger.debug(`Gateway ${gatewayId} asked for the latest version; there is none yet`);
    else await this.messenger.sendLatestVersion(latest, gatewayId);
    return true;
  }

  async availableVersionsRequested(gatewayId: string, request: EmptyRequest): Promise<boolean> {
    this.noteRequest(gatewayId, 'Request Available Versions', request);
    await this.messenger.sendAvailableVersions(await this.versions.versionStrings(), gatewayId);
    return true;
  }

  async upgradeRequested(gatewayId: string, version: string): Promise<boolean> {
    this.activity.recordSeen(gatewayId);
    const frame = await this.versions.readImageFrame(version);
    if (frame === null) {
      this.unknownVersions.inc();
      this.logger.warn(`Gateway ${gatewayId} requested unknown version ${version}; nothing sent`);
      return true;
    }
    await this.messenger.sendDownloadUpgrade(gatewayId, frame);
    return true;
  }

  // Requests are answered even before the gateway's first Status: field gateways send their
  // start-up messages in no guaranteed order. Only a Status registers a gateway, though.
  private noteRequest(gatewayId: string, name: string, { unexpectedBytes }: EmptyRequest): void {
    this.activity.recordSeen(gatewayId);
    if (unexpectedBytes > 0) this.logger.debug(`Gateway ${gatewayId}: ${name} with an unexpected payload (${unexpectedBytes} bytes), answered anyway`);
  }
}

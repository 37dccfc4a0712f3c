import { Injectable, Logger } from '@nestjs/common';
import {
  decodeFrame,
  FrameDecodeError,
  isEmptyRequestPayload,
  parseStatusPayload,
  parseTopic,
  parseVersionRequestPayload,
  PayloadError,
  ToCloudMessageType,
} from '@upgrade-manager/frame-codec';
import type { Counter } from 'prom-client';
import { FrameClockWatch } from '../gateway-admission/frame-clock-watch';
import { GatewayRequestGate } from '../gateway-admission/gateway-request-gate';
import { MetricsService } from '../metrics/metrics.service';
import { VersionsService } from '../versions/versions.service';
import { GatewayActivityService } from './gateway-activity.service';
import { GatewayMessenger } from './gateway-messenger.service';

/** Reason label for a message whose topic is not a gateway's own TOCLOUD topic. */
const INVALID_TOPIC = 'INVALID_TOPIC';

/**
 * The rules of SPEC §1 for every gateway → cloud message. A message that cannot be decoded is
 * logged, counted and dropped; nothing here throws, whatever a gateway sends.
 */
@Injectable()
export class GatewayProtocolService {
  private readonly logger = new Logger(GatewayProtocolService.name);
  private readonly received: Counter<'type'>;
  private readonly rejected: Counter<'reason'>;
  private readonly failed: Counter<'type'>;
  private readonly unknownVersions: Counter;

  constructor(
    private readonly activity: GatewayActivityService,
    private readonly versions: VersionsService,
    private readonly messenger: GatewayMessenger,
    private readonly gate: GatewayRequestGate,
    private readonly clock: FrameClockWatch,
    metrics: MetricsService,
  ) {
    this.received = metrics.counter({ name: 'um_gateway_messages_total', help: 'Gateway messages received, by type', labelNames: ['type'] });
    this.rejected = metrics.counter({ name: 'um_frames_rejected_total', help: 'Gateway messages rejected, by reason', labelNames: ['reason'] });
    this.failed = metrics.counter({ name: 'um_gateway_message_errors_total', help: 'Gateway messages whose handling failed, by type', labelNames: ['type'] });
    this.unknownVersions = metrics.counter({ name: 'um_upgrade_requests_unknown_version_total', help: 'Request Upgrade for a version that does not exist' });
  }

  /** Resolves false when the message could not be stored (the API is shutting down): it must be delivered again. */
  async receive(topic: string, data: Buffer): Promise<boolean> {
    const parsed = parseTopic(topic);
    if (parsed === null || parsed.direction !== 'toCloud') {
      this.reject(INVALID_TOPIC, topic, `not a gateway topic: ${topic}`);
      return true;
    }
    const { type, gatewayId } = parsed;
    try {
      const { payload, timestampSeconds } = decodeFrame(data);
      this.received.inc({ type });
      this.clock.note(timestampSeconds);
      if (type !== ToCloudMessageType.Status && !(await this.gate.mayServe(gatewayId))) return true;
      return await this.handle(type, gatewayId, payload, timestampSeconds);
    } catch (error) {
      if (error instanceof FrameDecodeError) this.reject(error.reason, gatewayId, `${type}: ${error.message}`);
      else if (error instanceof PayloadError) this.reject(error.code, gatewayId, `${type}: ${error.message}`);
      else {
        this.failed.inc({ type });
        this.logger.error(`Gateway ${gatewayId}: ${type} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      return true;
    }
  }

  // Resolves when the message's effect is stored or sent; true unless it could not be.
  private async handle(type: ToCloudMessageType, gatewayId: string, payload: Buffer, timestampSeconds: number): Promise<boolean> {
    switch (type) {
      case ToCloudMessageType.Status:
        return this.activity.recordStatus(gatewayId, parseStatusPayload(payload), timestampSeconds);
      case ToCloudMessageType.RequestLatestVersion:
        this.noteRequest(gatewayId, type, payload);
        await this.answerLatestVersion(gatewayId);
        return true;
      case ToCloudMessageType.RequestAvailableVersions:
        this.noteRequest(gatewayId, type, payload);
        await this.messenger.sendAvailableVersions(await this.versions.versionStrings(), gatewayId);
        return true;
      case ToCloudMessageType.RequestUpgrade:
        await this.answerUpgradeRequest(gatewayId, parseVersionRequestPayload(payload).version);
        return true;
    }
  }

  // Requests are answered even before the gateway's first Status: field gateways send their
  // start-up messages in no guaranteed order. Only a Status registers a gateway, though.
  private noteRequest(gatewayId: string, type: ToCloudMessageType, payload: Buffer): void {
    this.activity.recordSeen(gatewayId);
    if (!isEmptyRequestPayload(payload))
      this.logger.debug(`Gateway ${gatewayId}: ${type} with an unexpected payload (${payload.byteLength} bytes), answered anyway`);
  }

  private async answerLatestVersion(gatewayId: string): Promise<void> {
    const latest = await this.versions.latestVersion();
    if (latest === null) {
      this.logger.debug(`Gateway ${gatewayId} asked for the latest version; there is none yet`);
      return;
    }
    await this.messenger.sendLatestVersion(latest, gatewayId);
  }

  private async answerUpgradeRequest(gatewayId: string, version: string): Promise<void> {
    this.activity.recordSeen(gatewayId);
    const frame = await this.versions.readImageFrame(version);
    if (frame === null) {
      this.unknownVersions.inc();
      this.logger.warn(`Gateway ${gatewayId} requested unknown version ${version}; nothing sent`);
      return;
    }
    await this.messenger.sendDownloadUpgrade(gatewayId, frame);
  }

  private reject(reason: string, gatewayId: string, message: string): void {
    this.rejected.inc({ reason });
    this.logger.warn(`Gateway ${gatewayId}: rejected message (${reason}): ${message}`);
  }
}

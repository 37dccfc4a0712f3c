import { Injectable } from '@nestjs/common';
import { availableVersionsPayload, encodeFrame, latestVersionPayload, toGatewayTopic, ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import { FramePublisher } from '../mqtt/frame-publisher.service';

/**
 * Everything the cloud sends to gateways (SPEC §1 "Cloud → gateway"). Without a gateway id a
 * message goes to the broadcast topic; with one, to that gateway's topic.
 */
@Injectable()
export class GatewayMessenger {
  private readonly framedImages = new WeakMap<Buffer, Buffer>();
  // Gateways with a Download Upgrade on its way: one image per gateway at a time.
  private readonly downloading = new Set<string>();

  constructor(private readonly publisher: FramePublisher) {}

  // Answers to one gateway are droppable (a gateway asks again); broadcasts are not.
  async sendLatestVersion(version: string, gatewayId?: string): Promise<void> {
    await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.LatestVersion, gatewayId), encodeFrame(latestVersionPayload(version)), {
      droppable: gatewayId !== undefined,
    });
  }

  async sendAvailableVersions(versions: string[], gatewayId?: string): Promise<void> {
    await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.AvailableVersions, gatewayId), encodeFrame(availableVersionsPayload(versions)), {
      droppable: gatewayId !== undefined,
    });
  }

  /**
   * `frame` is shared (one per image), so that one image is framed once however many ask for it.
   * False when dropped: the gateway already has one on its way, or too many answers wait.
   */
  async sendDownloadUpgrade(gatewayId: string, frame: Buffer): Promise<boolean> {
    if (this.downloading.has(gatewayId)) return false;
    this.downloading.add(gatewayId);
    try {
      // QoS 0: the gateway asks again if it is lost, and mqtt.js keeps no copy of a QoS 0 payload
      // (it copies every QoS 1 payload into its outgoing store: 64 MiB per large image).
      return await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.DownloadUpgrade, gatewayId), frame, { droppable: true, qos: 0 });
    } finally {
      this.downloading.delete(gatewayId);
    }
  }

  /**
   * No ids: the broadcast topic (every gateway); throws when the broker does not take it. With ids:
   * each gateway's topic, the same frame Buffer for all; resolves with the gateways whose Upgrade
   * the broker did not take (a failed publish concerns its gateway only).
   */
  async sendUpgrade(frame: Buffer, gatewayIds?: readonly string[]): Promise<string[]> {
    if (gatewayIds === undefined) {
      await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.Upgrade), frame);
      return [];
    }
    const outcomes = await Promise.allSettled(
      gatewayIds.map((gatewayId) => this.publisher.publish(toGatewayTopic(ToGatewayMessageType.Upgrade, gatewayId), frame)),
    );
    return gatewayIds.filter((_, index) => outcomes[index].status === 'rejected');
  }

  /**
   * Frames an executable image; publish the returned Buffer to as many targets as needed. The
   * versions service hands out one Buffer per image, so framing is remembered per Buffer: a
   * thousand gateways requesting the same upgrade share one frame instead of a copy each.
   */
  /** Records that `frame` is the frame of `content` (read together into one Buffer). */
  rememberImageFrame(content: Buffer, frame: Buffer): void {
    this.framedImages.set(content, frame);
  }

  encodeImageFrame(bytes: Buffer): Buffer {
    let frame = this.framedImages.get(bytes);
    if (!frame) {
      frame = encodeFrame(bytes);
      this.framedImages.set(bytes, frame);
    }
    return frame;
  }
}

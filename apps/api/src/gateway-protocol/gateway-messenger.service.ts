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

  constructor(private readonly publisher: FramePublisher) {}

  async sendLatestVersion(version: string, gatewayId?: string): Promise<void> {
    await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.LatestVersion, gatewayId), encodeFrame(latestVersionPayload(version)));
  }

  async sendAvailableVersions(versions: string[], gatewayId?: string): Promise<void> {
    await this.publisher.publish(
      toGatewayTopic(ToGatewayMessageType.AvailableVersions, gatewayId),
      encodeFrame(availableVersionsPayload(versions)),
    );
  }

  /** `frame` comes from encodeImageFrame, so that one image is framed once however many ask for it. */
  async sendDownloadUpgrade(gatewayId: string, frame: Buffer): Promise<void> {
    await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.DownloadUpgrade, gatewayId), frame);
  }

  /**
   * No ids: the broadcast topic (every gateway; rejects when the broker does not take it). With
   * ids: each gateway's topic, the same frame Buffer for all; resolves with the gateways whose
   * Upgrade the broker did not take, so that a failed publish fails only the targets it concerned.
   */
  async sendUpgrade(frame: Buffer, gatewayIds?: readonly string[]): Promise<string[]> {
    if (gatewayIds === undefined) {
      await this.publisher.publish(toGatewayTopic(ToGatewayMessageType.Upgrade), frame);
      return [];
    }
    const results = await Promise.allSettled(gatewayIds.map((gatewayId) => this.publisher.publish(toGatewayTopic(ToGatewayMessageType.Upgrade, gatewayId), frame)));
    return gatewayIds.filter((_, index) => results[index].status === 'rejected');
  }

  /**
   * Frames an executable image; publish the returned Buffer to as many targets as needed. The
   * versions service hands out one Buffer per image, so framing is remembered per Buffer: a
   * thousand gateways requesting the same upgrade share one frame instead of a copy each.
   */
  encodeImageFrame(bytes: Buffer): Buffer {
    let frame = this.framedImages.get(bytes);
    if (!frame) {
      frame = encodeFrame(bytes);
      this.framedImages.set(bytes, frame);
    }
    return frame;
  }
}

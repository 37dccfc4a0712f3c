import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PROGRESS_STATES } from '@upgrade-manager/protocol-v2';
import { type HydratedDocument, Types } from 'mongoose';

export const OFFER_STATES = ['offered', ...PROGRESS_STATES] as const;
export type OfferState = (typeof OFFER_STATES)[number];

/** `<sha256>:<gatewayId>`: one open offer of an image per gateway, found by `_id` (FerretDB indexes only that). */
export function offerId(sha256: string, gatewayId: string): string {
  return `${sha256}:${gatewayId}`;
}

/**
 * An image offered to a protocol-v2 gateway by a deployment, and the latest progress it reported.
 * A chunk request is answered only while such an offer is open (not succeeded, failed or rejected,
 * and not closed because its deployment target failed).
 */
@Schema({ collection: 'image_offers', versionKey: false, timestamps: true })
export class ImageOffer {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) deploymentId!: string;
  @Prop({ required: true }) gatewayId!: string;
  @Prop({ required: true }) companyId!: string;
  @Prop({ required: true }) version!: string;
  @Prop({ required: true }) sha256!: string;
  @Prop({ required: true }) size!: number;
  @Prop({ required: true }) chunkSize!: number;
  @Prop({ required: true }) chunkCount!: number;
  @Prop({ type: Types.ObjectId, required: true }) fileId!: Types.ObjectId;
  @Prop({ type: String, required: true, enum: OFFER_STATES }) state!: OfferState;
  @Prop({ required: true, default: 0 }) bytes!: number;
  @Prop({ type: String, default: null }) reason!: string | null;
  /** Why the server ended the offer before the gateway did (its target failed: timeout, superseded...); null while open. */
  @Prop({ type: String, default: null }) closedReason?: string | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export type ImageOfferDocument = HydratedDocument<ImageOffer>;
export const ImageOfferSchema = SchemaFactory.createForClass(ImageOffer);
// The deployment view reads the progress of one deployment's targets.
ImageOfferSchema.index({ deploymentId: 1 });

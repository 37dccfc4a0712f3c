import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { VERSION_SOURCES, type VersionSource } from '@upgrade-manager/dto';
import { type HydratedDocument, Types } from 'mongoose';

@Schema({ _id: false })
export class VersionCreator {
  @Prop({ type: String, required: true }) userId!: string;
  @Prop({ type: String, required: true }) email!: string;
}

/** Metadata of one software image; the bytes live in the GridFS bucket (see ImageStorage). */
@Schema({ collection: 'versions', versionKey: false })
export class Version {
  @Prop({ type: String, required: true, unique: true }) version!: string;
  // versionKey(version): `1` and `1.0` share it, so the unique index refuses the second one.
  @Prop({ type: String, required: true, unique: true }) key!: string;
  @Prop({ type: Number, required: true }) size!: number;
  @Prop({ type: String, required: true }) sha256!: string;
  @Prop({ type: String, required: true }) crc32!: string;
  @Prop({ type: Date, required: true, default: () => new Date() }) createdAt!: Date;
  @Prop({ type: VersionCreator, default: null }) createdBy!: VersionCreator | null;
  @Prop({ type: String, required: true, enum: VERSION_SOURCES }) source!: VersionSource;
  @Prop({ type: Types.ObjectId, required: true }) fileId!: Types.ObjectId;
  // Ed25519 signature of the canonical manifest (docs/protocol-v2.md) and the id of its key.
  @Prop({ type: String, default: null }) keyId!: string | null;
  @Prop({ type: String, default: null }) signature!: string | null;
}

export type VersionDocument = HydratedDocument<Version>;
export const VersionSchema = SchemaFactory.createForClass(Version);

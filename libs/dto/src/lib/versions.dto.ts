import { ApiProperty } from '@nestjs/swagger';

/** Multipart field names of `POST /api/versions`; send `version` before `file` when you can. */
export const VERSION_UPLOAD_FIELDS = { version: 'version', file: 'file', signature: 'signature', keyId: 'keyId' } as const;

export const VERSION_SOURCES = ['upload', 'resources'] as const;
export type VersionSource = (typeof VERSION_SOURCES)[number];

export class VersionCreatorDto {
  @ApiProperty() userId!: string;
  @ApiProperty() email!: string;
}

/** One software image. Versions are global: every company's gateways see the same list. */
export class VersionDto {
  @ApiProperty({ example: '1.10', description: 'Dotted numbers; ordered component by component (1.10 > 1.9).' })
  version!: string;
  @ApiProperty({ description: 'Image size in bytes.' }) size!: number;
  @ApiProperty({ description: 'SHA-256 of the image, 64 lowercase hex digits.' }) sha256!: string;
  @ApiProperty({ example: 'cbf43926', description: 'CRC-32/IEEE (zlib) of the image, 8 lowercase hex digits (unsigned).' })
  crc32!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: VersionCreatorDto, nullable: true, description: 'null for an image imported from the resources folder.' })
  createdBy!: VersionCreatorDto | null;
  @ApiProperty({ enum: VERSION_SOURCES }) source!: VersionSource;
  @ApiProperty({ description: 'True for the newest version, the one announced to gateways as Latest Version.' })
  latest!: boolean;
  @ApiProperty({ type: String, required: false, nullable: true, description: 'Id of the Ed25519 key that signed the manifest (protocol v2).' })
  keyId?: string | null;
  @ApiProperty({ type: String, required: false, nullable: true, description: 'Base64 Ed25519 signature of the canonical manifest (docs/protocol-v2.md).' })
  signature?: string | null;
}

export class VersionListDto {
  @ApiProperty({ type: [VersionDto], description: 'Newest first.' }) items!: VersionDto[];
  @ApiProperty() total!: number;
}

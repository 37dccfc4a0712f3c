import { Controller, Delete, Get, HttpCode, HttpStatus, Logger, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { VERSION_UPLOAD_FIELDS, VersionDto, VersionListDto } from '@upgrade-manager/dto';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { VersionUploadService } from './version-upload.service';
import { assertCanDownloadImages, assertCanPublishVersions } from './versions.policy';
import { VersionsService } from './versions.service';

@ApiTags('versions')
@ApiBearerAuth()
@Controller('versions')
export class VersionsController {
  private readonly logger = new Logger(VersionsController.name);

  constructor(
    private readonly versions: VersionsService,
    private readonly uploads: VersionUploadService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every version, newest first (dotted-number order); the newest is marked latest' })
  @ApiOkResponse({ type: VersionListDto })
  list(): Promise<VersionListDto> {
    return this.versions.list();
  }

  @Get(':version')
  @ApiOkResponse({ type: VersionDto })
  @ApiNotFoundResponse()
  get(@Param('version') version: string): Promise<VersionDto> {
    return this.versions.get(version);
  }

  @Get(':version/content')
  @ApiOperation({ summary: 'Download the image (super and admin)' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The image bytes; ETag and X-Checksum-Sha256 carry its SHA-256.' })
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  async download(@CurrentPrincipal() principal: Principal, @Param('version') version: string, @Res() response: Response): Promise<void> {
    assertCanDownloadImages(principal);
    const { version: meta, content } = await this.versions.openContent(version);
    response.set({
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(meta.size),
      'Content-Disposition': `attachment; filename="${meta.version}.bin"`,
      ETag: `"${meta.sha256}"`,
      'X-Checksum-Sha256': meta.sha256,
      'X-Checksum-Crc32': meta.crc32,
    });
    try {
      await pipeline(content, response);
    } catch (error) {
      this.logger.warn(`Download of ${meta.version} ended early: ${(error as Error).message}`);
    }
  }

  @Post()
  @ApiOperation({
    summary: 'Upload a version (super users), announced at once to web users and every gateway',
    description: 'Multipart form: the field "version" (dotted numbers), best sent first, and the part "file". Limit: MAX_IMAGE_BYTES.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [VERSION_UPLOAD_FIELDS.version, VERSION_UPLOAD_FIELDS.file],
      properties: {
        [VERSION_UPLOAD_FIELDS.version]: { type: 'string', example: '1.2' },
        [VERSION_UPLOAD_FIELDS.keyId]: {
          type: 'string',
          description: 'Id of a trusted key (TRUSTED_KEYS_FILE) that made the detached signature; with signature',
        },
        [VERSION_UPLOAD_FIELDS.signature]: {
          type: 'string',
          description: 'Base64 Ed25519 signature of the canonical manifest (docs/protocol-v2.md); without it the server signs',
        },
        [VERSION_UPLOAD_FIELDS.file]: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiCreatedResponse({ type: VersionDto })
  @ApiConflictResponse({ description: 'The version (or one that orders the same, 1 for 1.0) exists.' })
  @ApiBadRequestResponse({ description: 'Invalid form, or a detached signature that does not verify against a trusted key; nothing is stored.' })
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than MAX_IMAGE_BYTES; nothing is stored.' })
  @ApiForbiddenResponse()
  upload(@CurrentPrincipal() principal: Principal, @Req() request: Request): Promise<VersionDto> {
    assertCanPublishVersions(principal);
    return this.uploads.receive(request, principal);
  }

  @Delete(':version')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a version, its image and its resources-folder file (super users); the new latest is announced' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  async remove(@CurrentPrincipal() principal: Principal, @Param('version') version: string): Promise<void> {
    assertCanPublishVersions(principal);
    await this.versions.remove(version, principal);
  }
}

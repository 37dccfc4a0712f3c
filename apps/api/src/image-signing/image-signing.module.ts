import { Module } from '@nestjs/common';
import { ImageSigner } from './image-signer.service';

@Module({ providers: [ImageSigner], exports: [ImageSigner] })
export class ImageSigningModule {}

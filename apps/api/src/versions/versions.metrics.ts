import { Injectable } from '@nestjs/common';
import type { VersionSource } from '@upgrade-manager/dto';
import type { Gauge } from 'prom-client';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { MetricsService } from '../metrics/metrics.service';

export type RejectionReason = 'invalid' | 'duplicate' | 'too-large' | 'empty' | 'invalid-name' | 'not-a-file' | 'error';

/** Counters of the versions feature, on the app's registry. */
@Injectable()
export class VersionsMetrics {
  private readonly uploads;
  private readonly imports;
  private readonly rejections;
  private readonly removals;

  constructor(private readonly metrics: MetricsService) {
    this.uploads = metrics.counter({ name: 'um_version_uploads_total', help: 'Versions added through POST /api/versions' });
    this.imports = metrics.counter({ name: 'um_version_imports_total', help: 'Versions imported from the resources folder' });
    this.rejections = metrics.counter({
      name: 'um_version_rejections_total',
      help: 'Images refused, by source and reason',
      labelNames: ['source', 'reason'] as const,
    });
    this.removals = metrics.counter({ name: 'um_version_removals_total', help: 'Versions deleted' });
  }

  added(source: VersionSource): void {
    (source === 'upload' ? this.uploads : this.imports).inc();
  }

  rejected(source: VersionSource, reason: RejectionReason): void {
    this.rejections.inc({ source, reason });
  }

  removed(): void {
    this.removals.inc();
  }

  /** Reports the bytes of the image cache on each scrape. */
  watchImageCache(bytes: () => number): void {
    const gauge: Gauge = this.metrics.gauge({
      name: 'um_image_cache_bytes',
      help: 'Bytes of framed images held to serve gateways',
      collect: () => gauge.set(bytes()),
    });
  }
}

/** The rejection label of an error that refused an image. */
export function rejectionReasonOf(error: unknown): RejectionReason {
  if (!(error instanceof DomainError)) return 'error';
  switch (error.code) {
    case DomainErrorCode.CONFLICT:
      return 'duplicate';
    case DomainErrorCode.PAYLOAD_TOO_LARGE:
      return 'too-large';
    case DomainErrorCode.INVALID_INPUT:
      return 'invalid';
    default:
      return 'error';
  }
}

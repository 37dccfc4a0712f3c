import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { Counter } from 'prom-client';
import { Company } from '../companies/company.schema';
import { AppConfigService } from '../config/app-config.service';
import { GatewaysStore } from '../gateways/gateways.store';
import { MetricsService } from '../metrics/metrics.service';
import { RequestRateLimiter } from './request-rate-limiter';

export type RequestRefusal = 'disabled' | 'company-disabled' | 'pending' | 'rate-limited';

// A disabled gateway or company is refused within this long in every process; a read per request otherwise.
const STATE_CACHE_MS = 5_000;
const STATE_CACHE_MAX = 100_000;
const MINUTE_MS = 60_000;

export const GATEWAY_REQUESTS_REFUSED = {
  name: 'um_gateway_requests_refused_total',
  help: 'Gateway requests answered with nothing, by reason',
  labelNames: ['reason'],
} as const;

interface CachedRefusal {
  until: number;
  refusal: RequestRefusal | null;
}

/**
 * Whether a gateway's request (Latest Version, Available Versions, Request Upgrade) is served:
 * not for a disabled or waiting gateway, nor one of a disabled company, nor beyond
 * GATEWAY_REQUESTS_PER_MINUTE. Every refusal is counted. An unknown gateway is served under the
 * automatic policy (its requests may arrive before its first Status) and not under approval.
 */
@Injectable()
export class GatewayRequestGate {
  private readonly states = new Map<string, CachedRefusal>();
  private readonly limiter: RequestRateLimiter;
  /** GATEWAY_REQUESTS_PER_MINUTE: the requests of one gateway served in a minute (of the clock). */
  readonly requestsPerMinute: number;
  private readonly refused: Counter<'reason'>;

  constructor(
    private readonly gateways: GatewaysStore,
    @InjectModel(Company.name) private readonly companies: Model<Company>,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.requestsPerMinute = config.get('GATEWAY_REQUESTS_PER_MINUTE');
    this.limiter = new RequestRateLimiter(this.requestsPerMinute, MINUTE_MS);
    this.refused = metrics.counter(GATEWAY_REQUESTS_REFUSED);
  }

  async mayServe(gatewayId: string): Promise<boolean> {
    const refusal = this.limiter.allow(gatewayId) ? await this.stateRefusal(gatewayId) : 'rate-limited';
    if (refusal === null) return true;
    this.refused.inc({ reason: refusal });
    return false;
  }

  private async stateRefusal(gatewayId: string, now = Date.now()): Promise<RequestRefusal | null> {
    const cached = this.states.get(gatewayId);
    if (cached !== undefined && cached.until > now) return cached.refusal;
    const refusal = await this.readRefusal(gatewayId);
    if (this.states.size >= STATE_CACHE_MAX) this.states.clear();
    this.states.set(gatewayId, { until: now + STATE_CACHE_MS, refusal });
    return refusal;
  }

  private async readRefusal(gatewayId: string): Promise<RequestRefusal | null> {
    const gateway = await this.gateways.requestState(gatewayId);
    if (gateway === null) return this.config.get('GATEWAY_REGISTRATION') === 'approval' ? 'pending' : null;
    if (gateway.enabled === false) return 'disabled';
    if (gateway.admission === 'pending') return 'pending';
    const disabledCompany = await this.companies.exists({ companyId: gateway.companyId, enabled: false });
    return disabledCompany === null ? null : 'company-disabled';
  }
}

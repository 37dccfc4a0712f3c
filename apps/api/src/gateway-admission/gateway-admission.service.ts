import { Injectable, Logger } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { Connection, Model } from 'mongoose';
import type { Counter } from 'prom-client';
import { Company } from '../companies/company.schema';
import { AppConfigService } from '../config/app-config.service';
import { EventsService } from '../events/events.service';
import { GatewaysStore, type FirstStatusResult } from '../gateways/gateways.store';
import { MetricsService } from '../metrics/metrics.service';
import { BoundedCounters, windowKey, type CounterDocument } from './bounded-counters';
import { KnownGateways } from './known-gateways';

export type RegistrationRefusal = 'gateways-per-minute' | 'companies-per-hour' | 'company-full';

interface Registration {
  gatewayId: string;
  companyId: string;
}

/** The gateway ids of each company, in the order they came. */
function groupByCompany(registrations: readonly Registration[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { gatewayId, companyId } of registrations) {
    const group = groups.get(companyId);
    if (group) group.push(gatewayId);
    else groups.set(companyId, [gatewayId]);
  }
  return groups;
}

/** What a batch entry needs for admission: the company its Status claims, if it carries one. */
export interface AdmissionCandidate {
  status: { companyId: string } | null;
}

/** What inserting the first Statuses of gateways this process did not know did (see registerByWrite). */
export interface FirstWrites<T> {
  /** The rest of the batch, to be screened and written as usual: every gateway with a Status in it is known now. */
  remaining: Map<string, T>;
  /** Gateways the write created: registered, their Statuses stored. */
  registered: Set<string>;
  /** First Statuses the database refused (not a duplicate): dropped. */
  refused: FirstStatusResult['refused'];
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
// One event per gateway per hour at most: a gateway repeating its claim must not flood the log.
const CLAIM_EVENT_INTERVAL_MS = HOUR_MS;
const CLAIM_EVENTS_TRACKED_MAX = 10_000;
const KNOWN_COMPANIES_MAX = 100_000;

export function companyGatewaysKey(companyId: string): string {
  return `company-gateways:${companyId}`;
}

/**
 * Who may register and in which company (SPEC §6 "Hostile input"). A gateway's company is fixed
 * when it registers: a Status claiming another one changes nothing, is counted and logged as an
 * event. New gateways and companies are bounded per minute, per company and per hour by counters
 * in the database, so the bounds hold across API processes.
 */
@Injectable()
export class GatewayAdmission {
  private readonly logger = new Logger(GatewayAdmission.name);
  private readonly counters: BoundedCounters;
  private readonly known: KnownGateways;
  private readonly claimEventAt = new Map<string, number>();
  // Companies seen to exist or admitted (created with the batch's write): companies are never deleted.
  private readonly knownCompanies = new Set<string>();
  private readonly claims: Counter;
  private readonly refusedRegistrations: Counter<'reason'>;
  private lastWindows = { gateways: '', companies: '' };

  constructor(
    gateways: GatewaysStore,
    @InjectModel(Company.name) private readonly companies: Model<Company>,
    @InjectConnection() connection: Connection,
    private readonly config: AppConfigService,
    private readonly events: EventsService,
    metrics: MetricsService,
  ) {
    this.counters = new BoundedCounters(connection.collection<CounterDocument>('registration_counters'));
    this.known = new KnownGateways(gateways);
    this.claims = metrics.counter({
      name: 'um_gateway_company_claims_total',
      help: 'Statuses claiming another company than the gateway registered with (ignored)',
    });
    this.refusedRegistrations = metrics.counter({
      name: 'um_gateway_registrations_refused_total',
      help: 'First Statuses of unknown gateways refused by a registration bound, by bound',
      labelNames: ['reason'],
    });
  }

  /** Fields a gateway gets when its first Status registers it (waiting for approval, or accepted). */
  registrationFields(): { admission: 'pending' | 'accepted' } {
    return { admission: this.config.get('GATEWAY_REGISTRATION') === 'approval' ? 'pending' : 'accepted' };
  }

  /**
   * Registers gateways by writing their first Status instead of reading each one first (FerretDB
   * answers a read by `_id` in about a millisecond, the driver costs as much again, and every
   * gateway is unknown to a process after its start). The gateways this process does not know
   * take their registration slots as if all of them were new, so the bounds hold before anything
   * is created; `insert` then creates them, and those that existed give their slots back and are
   * read (their company decides, as for any known gateway, in `screen`): `remaining` holds them
   * with the rest of the batch. Refused by a bound are only gateways that do not exist. An insert
   * that fails keeps its slots (the batch is retried): a count may run over, never under.
   */
  async registerByWrite<T extends AdmissionCandidate>(
    batch: ReadonlyMap<string, T>,
    insert: (gatewayIds: readonly string[]) => Promise<FirstStatusResult>,
  ): Promise<FirstWrites<T>> {
    const remaining = new Map(batch);
    const candidates: Registration[] = [];
    for (const [gatewayId, { status }] of batch) {
      if (status !== null && this.known.companyOf(gatewayId) === undefined) candidates.push({ gatewayId, companyId: status.companyId });
    }
    if (candidates.length === 0) return { remaining, registered: new Set(), refused: [] };
    const now = new Date();
    const refusedByBound = await this.registerAll(candidates, now);
    for (const [gatewayId, { companyId, refusal }] of refusedByBound) {
      // Only a gateway that does not exist yet can be refused registration.
      if ((await this.known.reload(gatewayId)) !== undefined) continue;
      remaining.delete(gatewayId);
      this.refuse(gatewayId, companyId, refusal);
    }
    const provisional = candidates.filter(({ gatewayId }) => !refusedByBound.has(gatewayId));
    if (provisional.length === 0) return { remaining, registered: new Set(), refused: [] };
    const result = await insert(provisional.map(({ gatewayId }) => gatewayId));
    for (const gatewayId of result.inserted) remaining.delete(gatewayId);
    for (const { gatewayId } of result.refused) {
      remaining.delete(gatewayId);
      this.known.forget(gatewayId);
    }
    await this.known.load([...result.existing], true);
    await this.giveBack(
      windowKey('gateways', now, MINUTE_MS),
      provisional.filter(({ gatewayId }) => !result.inserted.has(gatewayId)),
    );
    return { remaining, registered: result.inserted, refused: result.refused };
  }

  /**
   * The batch without the Statuses that must not be written: claims of another company and
   * registrations beyond a bound. Entries without a Status (liveness) pass as they are.
   */
  async screen<T extends AdmissionCandidate>(batch: ReadonlyMap<string, T>): Promise<Map<string, T>> {
    const admitted = new Map(batch);
    const withStatus = [...batch].filter((entry): entry is [string, T & { status: { companyId: string } }] => entry[1].status !== null);
    await this.known.load(withStatus.map(([gatewayId]) => gatewayId));
    const unregistered: Registration[] = [];
    for (const [gatewayId, { status }] of withStatus) {
      const claimed = status.companyId;
      let registeredIn = this.known.companyOf(gatewayId);
      // A super user may have moved it meanwhile (in any process): the database decides.
      if (registeredIn !== undefined && registeredIn !== claimed) registeredIn = await this.known.reload(gatewayId);
      if (registeredIn === undefined) unregistered.push({ gatewayId, companyId: claimed });
      else if (registeredIn !== claimed) {
        admitted.delete(gatewayId);
        await this.claimOfAnotherCompany(gatewayId, registeredIn, claimed);
      }
    }
    for (const [gatewayId, { companyId, refusal }] of await this.registerAll(unregistered, new Date())) {
      admitted.delete(gatewayId);
      this.refuse(gatewayId, companyId, refusal);
    }
    return admitted;
  }

  private refuse(gatewayId: string, companyId: string, refusal: RegistrationRefusal): void {
    this.refusedRegistrations.inc({ reason: refusal });
    this.logger.warn(`Gateway ${gatewayId} (company ${companyId}) not registered: ${refusal} bound reached`);
  }

  /** Slots taken in the minute `window` (and of their companies) by gateways that were not new after all. */
  private async giveBack(window: string, registrations: readonly Registration[]): Promise<void> {
    if (registrations.length === 0) return;
    await this.counters.add(window, -registrations.length);
    for (const [companyId, gatewayIds] of groupByCompany(registrations)) await this.counters.add(companyGatewaysKey(companyId), -gatewayIds.length);
  }

  /** A super user moved the gateway: the companies' counts follow, unbounded (it is a person's decision). */
  async moved(gatewayId: string, from: string, to: string): Promise<void> {
    this.known.remember(gatewayId, to);
    await this.counters.add(companyGatewaysKey(from), -1);
    await this.counters.add(companyGatewaysKey(to), 1);
  }

  /**
   * Registers the batch's new gateways (in order: they compete for the same slots) and returns
   * the refused ones. While every bound has room for all of them, each bound takes its slots in
   * one write; near a bound, one gateway at a time, so that exactly the room left is used.
   */
  private async registerAll(candidates: readonly Registration[], now: Date): Promise<Map<string, { companyId: string; refusal: RegistrationRefusal }>> {
    const refused = new Map<string, { companyId: string; refusal: RegistrationRefusal }>();
    const gatewaysWindow = windowKey('gateways', now, MINUTE_MS);
    const perMinute = this.config.get('REGISTRATION_GATEWAYS_PER_MINUTE');
    if (candidates.length < 2 || !(await this.takeSlots('gateways', gatewaysWindow, candidates.length, perMinute))) {
      for (const { gatewayId, companyId } of candidates) {
        const refusal = await this.register(gatewayId, companyId, now);
        if (refusal !== null) refused.set(gatewayId, { companyId, refusal });
      }
      return refused;
    }
    const perCompany = this.config.get('REGISTRATION_GATEWAYS_PER_COMPANY');
    for (const [companyId, gatewayIds] of groupByCompany(candidates)) {
      const refusal = await this.admitCompany(companyId, now);
      const all = refusal === null && gatewayIds.length > 1 && (await this.counters.takeMany(companyGatewaysKey(companyId), gatewayIds.length, perCompany));
      for (const gatewayId of gatewayIds) {
        if (all || (refusal === null && (await this.counters.take(companyGatewaysKey(companyId), perCompany)))) this.known.remember(gatewayId, companyId);
        else refused.set(gatewayId, { companyId, refusal: refusal ?? 'company-full' });
      }
    }
    return refused;
  }

  private async register(gatewayId: string, companyId: string, now: Date): Promise<RegistrationRefusal | null> {
    // Every attempt takes a slot of the minute, refused later or not: the bound is on the work.
    if (!(await this.takeSlots('gateways', windowKey('gateways', now, MINUTE_MS), 1, this.config.get('REGISTRATION_GATEWAYS_PER_MINUTE')))) {
      return 'gateways-per-minute';
    }
    const refusal = await this.admitCompany(companyId, now);
    if (refusal !== null) return refusal;
    if (!(await this.counters.take(companyGatewaysKey(companyId), this.config.get('REGISTRATION_GATEWAYS_PER_COMPANY')))) return 'company-full';
    this.known.remember(gatewayId, companyId);
    return null;
  }

  /** A new company takes a slot of the hour; a known one passes. */
  private async admitCompany(companyId: string, now: Date): Promise<'companies-per-hour' | null> {
    if (!(await this.companyExists(companyId))) {
      if (!(await this.takeSlots('companies', windowKey('companies', now, HOUR_MS), 1, this.config.get('REGISTRATION_COMPANIES_PER_HOUR')))) {
        return 'companies-per-hour';
      }
    }
    this.rememberCompany(companyId);
    return null;
  }

  private async takeSlots(prefix: 'gateways' | 'companies', window: string, amount: number, limit: number): Promise<boolean> {
    await this.dropPastWindows(prefix, window);
    return this.counters.takeMany(window, amount, limit);
  }

  private async companyExists(companyId: string): Promise<boolean> {
    if (this.knownCompanies.has(companyId)) return true;
    const exists = (await this.companies.exists({ companyId })) !== null;
    if (exists) this.rememberCompany(companyId);
    return exists;
  }

  private rememberCompany(companyId: string): void {
    if (this.knownCompanies.size >= KNOWN_COMPANIES_MAX) this.knownCompanies.clear();
    this.knownCompanies.add(companyId);
  }

  private async dropPastWindows(prefix: 'gateways' | 'companies', current: string): Promise<void> {
    if (this.lastWindows[prefix] === current) return;
    this.lastWindows[prefix] = current;
    await this.counters.dropWindowsBefore(prefix, current);
  }

  private async claimOfAnotherCompany(gatewayId: string, companyId: string, claimedCompanyId: string): Promise<void> {
    this.claims.inc();
    this.logger.warn(`Gateway ${gatewayId} of company ${companyId} claims company ${claimedCompanyId}; Status ignored`);
    const now = Date.now();
    const last = this.claimEventAt.get(gatewayId);
    if (last !== undefined && now - last < CLAIM_EVENT_INTERVAL_MS) return;
    if (this.claimEventAt.size >= CLAIM_EVENTS_TRACKED_MAX) this.claimEventAt.clear();
    this.claimEventAt.set(gatewayId, now);
    await this.events.record({ type: 'gateway.company-claimed', companyId, gatewayId, details: { claimedCompanyId } });
  }
}

import type { GatewaysStore } from '../gateways/gateways.store';

// Enough for the registration bounds' defaults; beyond it the hints start over (read again by _id).
const KNOWN_GATEWAYS_MAX = 200_000;
const LOOKUP_CONCURRENCY = 32;

/**
 * The company each gateway registered with, as this process last read it: a hint that spares a
 * read per Status. Never the last word: a mismatch is read again from the database, and the
 * Status write never changes a stored company.
 */
export class KnownGateways {
  private readonly companies = new Map<string, string>();

  constructor(private readonly gateways: GatewaysStore) {}

  companyOf(gatewayId: string): string | undefined {
    return this.companies.get(gatewayId);
  }

  remember(gatewayId: string, companyId: string): void {
    if (this.companies.size >= KNOWN_GATEWAYS_MAX) this.companies.clear();
    this.companies.set(gatewayId, companyId);
  }

  forget(gatewayId: string): void {
    this.companies.delete(gatewayId);
  }

  /** Reads the gateways this process does not know yet (all of them with `again`), by _id (FerretDB scans for a list of ids). */
  async load(gatewayIds: readonly string[], again = false): Promise<void> {
    const unknown = again ? gatewayIds : gatewayIds.filter((gatewayId) => !this.companies.has(gatewayId));
    for (let offset = 0; offset < unknown.length; offset += LOOKUP_CONCURRENCY) {
      await Promise.all(unknown.slice(offset, offset + LOOKUP_CONCURRENCY).map((gatewayId) => this.reload(gatewayId)));
    }
  }

  /** The stored company, read now; undefined for a gateway that is not registered. */
  async reload(gatewayId: string): Promise<string | undefined> {
    const companyId = await this.gateways.registeredCompany(gatewayId);
    if (companyId === undefined) {
      this.companies.delete(gatewayId);
      return undefined;
    }
    this.remember(gatewayId, companyId);
    return companyId;
  }
}

import { type CreateDeploymentDto, DEPLOYMENT_MAX_GATEWAYS } from '@upgrade-manager/dto';

export interface GatewayRef {
  gatewayId: string;
  companyId: string;
}

/** What the operator picked: every gateway, whole companies, and single gateways (any page, any company). */
export interface Selection {
  all: boolean;
  companies: ReadonlySet<string>;
  gateways: ReadonlyMap<string, string>;
}

export const emptySelection: Selection = { all: false, companies: new Set(), gateways: new Map() };

export function isSelected(selection: Selection, gateway: GatewayRef): boolean {
  return selection.all || selection.companies.has(gateway.companyId) || selection.gateways.has(gateway.gatewayId);
}

/** Selected as part of something bigger (all, a whole company): its own checkbox cannot be cleared. */
export function isCovered(selection: Selection, gateway: GatewayRef): boolean {
  return selection.all || selection.companies.has(gateway.companyId);
}

export function setGateways(selection: Selection, gateways: GatewayRef[], selected: boolean): Selection {
  const next = new Map(selection.gateways);
  for (const gateway of gateways) {
    if (selected && !isCovered(selection, gateway)) next.set(gateway.gatewayId, gateway.companyId);
    else next.delete(gateway.gatewayId);
  }
  return { ...selection, gateways: next };
}

export function setCompany(selection: Selection, companyId: string, selected: boolean): Selection {
  const companies = new Set(selection.companies);
  const gateways = new Map(selection.gateways);
  if (selected) {
    companies.add(companyId);
    // The company covers its gateways; keeping them too would deploy twice.
    for (const [gatewayId, owner] of gateways) if (owner === companyId) gateways.delete(gatewayId);
  } else {
    companies.delete(companyId);
  }
  return { ...selection, companies, gateways };
}

export function setAll(selected: boolean): Selection {
  return selected ? { all: true, companies: new Set(), gateways: new Map() } : emptySelection;
}

export function isEmpty(selection: Selection): boolean {
  return !selection.all && selection.companies.size === 0 && selection.gateways.size === 0;
}

/** The API requests that carry out a selection: all, or one per whole company plus one per batch of single gateways. */
export function planDeployments(selection: Selection, version: string): CreateDeploymentDto[] {
  if (selection.all) return [{ version, all: true }];
  const requests: CreateDeploymentDto[] = [...selection.companies].sort().map((companyId) => ({ version, companyId }));
  const ids = [...selection.gateways.keys()];
  for (let start = 0; start < ids.length; start += DEPLOYMENT_MAX_GATEWAYS) {
    requests.push({ version, gatewayIds: ids.slice(start, start + DEPLOYMENT_MAX_GATEWAYS) });
  }
  return requests;
}

export interface SelectionPart {
  companyId: string;
  count: number;
  wholeCompany: boolean;
}

/**
 * How many gateways of which companies a selection reaches, for the confirmation.
 * `companyCounts` holds each company's number of gateways (needed for whole companies and "all").
 */
export function describeSelection(selection: Selection, companyCounts: ReadonlyMap<string, number>): { total: number; parts: SelectionPart[] } {
  const parts = new Map<string, SelectionPart>();
  if (selection.all) {
    for (const [companyId, count] of companyCounts) if (count > 0) parts.set(companyId, { companyId, count, wholeCompany: true });
  } else {
    for (const companyId of selection.companies) parts.set(companyId, { companyId, count: companyCounts.get(companyId) ?? 0, wholeCompany: true });
    for (const companyId of selection.gateways.values()) {
      const part = parts.get(companyId) ?? { companyId, count: 0, wholeCompany: false };
      part.count += 1;
      parts.set(companyId, part);
    }
  }
  const sorted = [...parts.values()].sort((a, b) => a.companyId.localeCompare(b.companyId, 'en', { numeric: true }));
  return { total: sorted.reduce((sum, part) => sum + part.count, 0), parts: sorted };
}

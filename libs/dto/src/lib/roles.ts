export const ROLES = ['super', 'admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** The company of super users; it sees every company's gateways. */
export const SUPER_COMPANY_ID = '1';

import { statusDocument, statusUpsert, type StatusWrite } from './gateway-status-writes';

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const status: StatusWrite = { gatewayId: 'gw-1', companyId: '2', version: '1.0', protocol: null, sentAt: t(5), lastSeenAt: t(6), lastUpgradeAt: t(1) };

describe('statusUpsert', () => {
  it('upserts by _id unless a later Status is stored, and writes the company only when the gateway registers', () => {
    const { updateOne } = statusUpsert(status, {}, t(7));
    // Conditional on the time sent: an older Status arriving later (through another API process) matches nothing.
    expect(updateOne.filter).toEqual({ _id: 'gw-1', $or: [{ statusSentAt: { $lte: t(5) } }, { statusSentAt: null }] });
    expect(updateOne.upsert).toBe(true);
    expect(updateOne.update.$set).toEqual({ version: '1.0', statusSentAt: t(5), lastSeenAt: t(6), lastUpgradeAt: t(1), protocol: null, updatedAt: t(7) });
    // Complete for the driver: the schema's defaults and timestamps are in it.
    expect(updateOne.update.$setOnInsert).toEqual({
      gatewayId: 'gw-1',
      companyId: '2',
      name: null,
      address: null,
      latitude: null,
      longitude: null,
      enabled: true,
      tags: [],
      upgrade: null,
      createdAt: t(7),
    });
    expect(updateOne.update.$setOnInsert).not.toHaveProperty('lastUpgradeAt');
  });

  it('keeps the known last upgrade time when the Status has none (a new gateway starts without one)', () => {
    const { update } = statusUpsert({ ...status, lastUpgradeAt: null }).updateOne;
    expect(update.$set).not.toHaveProperty('lastUpgradeAt');
    expect(update.$setOnInsert).toMatchObject({ lastUpgradeAt: null });
  });

  it('registers a gateway with the fields of the registration policy', () => {
    expect(statusUpsert(status, { admission: 'pending' }).updateOne.update.$setOnInsert).toMatchObject({ admission: 'pending', companyId: '2' });
  });

  it('writes the upgrade a Status decided with that Status, and no insert default for it', () => {
    const upgrade = { version: '1.0', status: 'confirmed', deploymentId: 'd1' } as const;
    const { update } = statusUpsert({ ...status, upgrade }).updateOne;
    expect(update.$set).toMatchObject({ version: '1.0', upgrade });
    expect(update.$setOnInsert).not.toHaveProperty('upgrade');
  });
});

describe('statusDocument', () => {
  it('is the document the upsert of a first Status inserts', () => {
    const { update } = statusUpsert(status, { admission: 'pending' }, t(7)).updateOne;
    expect(statusDocument(status, { admission: 'pending' }, t(7))).toEqual({ _id: 'gw-1', ...update.$setOnInsert, ...update.$set });
    expect(statusDocument(status, {}, t(7))).toMatchObject({
      _id: 'gw-1',
      gatewayId: 'gw-1',
      companyId: '2',
      version: '1.0',
      statusSentAt: t(5),
      upgrade: null,
      tags: [],
    });
  });
});

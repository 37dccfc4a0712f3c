import { describeSelection, emptySelection, isCovered, isEmpty, isSelected, planDeployments, setAll, setCompany, setGateways } from './selection';

const g = (gatewayId: string, companyId: string) => ({ gatewayId, companyId });

describe('upgrade selection', () => {
  it('selects single gateways across companies and plans one request for them', () => {
    const selection = setGateways(emptySelection, [g('a', '2'), g('b', '2'), g('c', '3')], true);
    expect(isSelected(selection, g('a', '2'))).toBe(true);
    expect(planDeployments(selection, '1.1')).toEqual([{ version: '1.1', gatewayIds: ['a', 'b', 'c'] }]);
    expect(describeSelection(selection, new Map())).toEqual({
      total: 3,
      parts: [
        { companyId: '2', count: 2, wholeCompany: false },
        { companyId: '3', count: 1, wholeCompany: false },
      ],
    });
  });

  it('lets a whole company replace its single gateways, so none is deployed twice', () => {
    let selection = setGateways(emptySelection, [g('a', '2'), g('c', '3')], true);
    selection = setCompany(selection, '2', true);
    expect(isCovered(selection, g('zz', '2'))).toBe(true);
    expect(planDeployments(selection, '1.1')).toEqual([
      { version: '1.1', companyId: '2' },
      { version: '1.1', gatewayIds: ['c'] },
    ]);
    expect(describeSelection(selection, new Map([['2', 40]])).total).toBe(41);
    // Picking a covered gateway again adds nothing.
    expect(setGateways(selection, [g('a', '2')], true).gateways.has('a')).toBe(false);
  });

  it('deploys to everything with a single request when all is chosen', () => {
    const selection = setAll(true);
    expect(planDeployments(selection, '2.0')).toEqual([{ version: '2.0', all: true }]);
    const described = describeSelection(
      selection,
      new Map([
        ['3', 7],
        ['2', 30],
        ['4', 0],
      ]),
    );
    expect(described).toEqual({
      total: 37,
      parts: [
        { companyId: '2', count: 30, wholeCompany: true },
        { companyId: '3', count: 7, wholeCompany: true },
      ],
    });
    expect(isEmpty(setAll(false))).toBe(true);
  });

  it('unselects gateways and companies', () => {
    let selection = setGateways(emptySelection, [g('a', '2'), g('b', '2')], true);
    selection = setGateways(selection, [g('a', '2')], false);
    expect([...selection.gateways.keys()]).toEqual(['b']);
    selection = setCompany(setCompany(selection, '3', true), '3', false);
    expect(selection.companies.size).toBe(0);
  });
});

import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateDeploymentDto, DEPLOYMENT_MAX_GATEWAYS } from './deployments.dto';
import { hasDistinctItems } from './distinct-items';
import { GatewayFilterRequestDto } from './gateway-filter.dto';

const constraintsOf = (type: new () => object, plain: object) =>
  validateSync(plainToInstance(type, plain)).flatMap((error) => [
    ...Object.keys(error.constraints ?? {}),
    ...(error.children ?? []).flatMap((child) => Object.keys(child.constraints ?? {})),
  ]);

describe('hasDistinctItems', () => {
  it.each([
    [[], true],
    [['a', 'b', 'c'], true],
    [['a', 'b', 'a'], false],
    [[1, '1'], true],
    [[NaN, NaN], false],
    ['ab', false],
    [null, false],
  ])('%j: %s', (value, expected) => {
    expect(hasDistinctItems(value)).toBe(expected);
  });
});

describe('DistinctItems on the request DTOs', () => {
  it('refuses a gateway listed twice, with the message ArrayUnique gave', () => {
    const errors = validateSync(plainToInstance(CreateDeploymentDto, { version: '1.0', gatewayIds: ['gw-1', 'gw-2', 'gw-1'] }));
    expect(errors.map((error) => error.constraints?.['distinctItems'])).toContain("All gatewayIds's elements must be unique");
  });

  it('accepts distinct gateways', () => {
    expect(constraintsOf(CreateDeploymentDto, { version: '1.0', gatewayIds: ['gw-1', 'gw-2'] })).toEqual([]);
  });

  it('refuses a list over its size for its size alone', () => {
    const gatewayIds = Array.from({ length: DEPLOYMENT_MAX_GATEWAYS + 1 }, (_, index) => `g${index}`);
    expect(constraintsOf(CreateDeploymentDto, { version: '1.0', gatewayIds })).toEqual(['arrayMaxSize']);
  });

  it('refuses a repeated version in a gateway filter', () => {
    expect(constraintsOf(GatewayFilterRequestDto, { filter: { versions: ['1.0', '1.0'] } })).toContain('distinctItems');
  });
});

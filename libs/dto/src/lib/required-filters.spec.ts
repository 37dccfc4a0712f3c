import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { BulkTagGatewaysDto, GatewayFilterRequestDto } from './gateway-filter.dto';
import { CreateRolloutDto } from './rollouts.dto';

const errorsOn = (type: new () => object, plain: object) => validateSync(plainToInstance(type, plain)).map((error) => error.property);

// The API fuzzing posted no body to /api/gateways/match: ValidateNested let the missing filter
// through and the service failed with a 500.
describe('a required gateway filter', () => {
  it.each([
    ['GatewayFilterRequestDto', GatewayFilterRequestDto],
    ['BulkTagGatewaysDto', BulkTagGatewaysDto],
    ['CreateRolloutDto', CreateRolloutDto],
  ])('%s refuses a body without one', (_name, type) => {
    expect(errorsOn(type, {})).toContain('filter');
  });

  it('accepts an empty filter (every gateway the caller may see)', () => {
    expect(errorsOn(GatewayFilterRequestDto, { filter: {} })).toEqual([]);
  });
});

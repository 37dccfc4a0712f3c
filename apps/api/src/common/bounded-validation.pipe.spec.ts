import 'reflect-metadata';
import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, maxLength, ValidateNested } from 'class-validator';
import { CreateCompanyDto, CreateDeploymentDto, CreateRolloutDto, GatewayFilterRequestDto, LoginDto, UpdateGatewayDto } from '@upgrade-manager/dto';
import { MetricsService } from '../metrics/metrics.service';
import { BoundedValidationPipe, isPastMaxLength, REQUEST_ARRAY_ITEMS_MAX, REQUEST_DEPTH_MAX, REQUEST_KEYS_MAX } from './bounded-validation.pipe';

function setup() {
  const metrics = new MetricsService();
  const refused = metrics.counter({ name: 'refused_total', help: 'refused', labelNames: ['reason'] });
  const pipe = new BoundedValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }, refused);
  const count = async (reason: string) => (await refused.get()).values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
  const messages = async (value: unknown, metatype: new () => unknown): Promise<string[]> => {
    try {
      await pipe.transform(value, { type: 'body', metatype });
    } catch (error) {
      if (error instanceof BadRequestException) return (error.getResponse() as { message: string[] }).message;
      throw error;
    }
    return [];
  };
  return { pipe, count, messages };
}

// A @Type that chooses the class by the object holding the property, as class-transformer lets it.
class SmallListDto {
  @ArrayMaxSize(2) items!: number[];
}
class PickedTypeDto {
  @IsIn(['small']) kind!: string;
  @ValidateNested()
  @Type((options) => (options?.object['kind'] === 'small' ? SmallListDto : Object))
  child!: SmallListDto;
}

describe('BoundedValidationPipe', () => {
  it('refuses a value with more keys in all than any DTO has before class-transformer deduplicates them (quadratic per object)', async () => {
    const { count, messages } = setup();
    const refusal = [`the request must have no more than ${REQUEST_KEYS_MAX} properties in all its objects`];
    const body = Object.fromEntries(Array.from({ length: REQUEST_KEYS_MAX + 1 }, (_, i) => [`k${i}`, 1]));
    expect(await messages(body, UpdateGatewayDto)).toEqual(refusal);
    expect(await messages({ filter: { tags: ['a'], ...body } }, GatewayFilterRequestDto)).toEqual(refusal);
    const hundredKeys = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 1]));
    expect(await messages({ x: Array(11).fill(hundredKeys) }, UpdateGatewayDto)).toEqual(refusal);
    expect(await count('keys')).toBe(3);
  });

  it("refuses an array past its ArrayMaxSize with that rule's message, without validating its items", async () => {
    const { count, messages } = setup();
    const phases = Array.from({ length: 21 }, () => ({ percent: 'x' }));
    expect(await messages({ version: '1.0', filter: {}, phases }, CreateRolloutDto)).toEqual(['phases must contain no more than 20 elements']);
    const tags = Array.from({ length: 21 }, (_, i) => `T${i}`);
    expect(await messages({ filter: { tags } }, GatewayFilterRequestDto)).toEqual(['filter.tags must contain no more than 20 elements']);
    expect(await count('array_max_size')).toBe(2);
  });

  it("refuses a string past its MaxLength with that rule's message, before its pattern reads all of it", async () => {
    const { count, messages } = setup();
    expect(await messages({ version: '1.'.repeat(100_000) + '1', all: true }, CreateDeploymentDto)).toEqual([
      'version must be shorter than or equal to 64 characters',
    ]);
    expect(await messages({ filter: { idPattern: 'a*'.repeat(100) } }, GatewayFilterRequestDto)).toEqual([
      'filter.idPattern must be shorter than or equal to 64 characters',
    ]);
    expect(await count('max_length')).toBe(2);
  });

  it('leaves the MaxLength of a transformed property to the validation, which checks the transformed value (a trimmed name)', async () => {
    const { count, messages } = setup();
    // The web app sends names as typed; the API trims them, then checks their length.
    expect(await messages({ name: `${'n'.repeat(100)} ` }, UpdateGatewayDto)).toEqual([]);
    expect(await messages({ companyId: '4', name: ` ${'n'.repeat(100)}\n` }, CreateCompanyDto)).toEqual([]);
    const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.example.com`;
    expect(await messages({ email: `   ${email}   `, password: 'x' }, LoginDto)).toEqual([]);
    expect(await messages({ name: 'n'.repeat(101) }, UpdateGatewayDto)).toEqual(['name must be shorter than or equal to 100 characters']);
    expect(await count('max_length')).toBe(0);
  });

  it('counts a string as MaxLength does (a character outside the BMP is one), so a password of 200 emoji still logs in', async () => {
    const { count, messages } = setup();
    // 400 UTF-16 code units, 200 characters: within the password's MaxLength(256).
    expect(await messages({ email: 'a@example.com', password: '\u{1F600}'.repeat(200) }, LoginDto)).toEqual([]);
    expect(await messages({ email: 'a@example.com', password: '\u{1F600}'.repeat(257) }, LoginDto)).toEqual([
      'password must be shorter than or equal to 256 characters',
    ]);
    expect(await count('max_length')).toBe(1);
  });

  it('answers as MaxLength does for any string, reading only strings up to three times the bound', () => {
    // The densest string MaxLength takes: three code units per character it counts.
    expect(isPastMaxLength('\u{1F600}\uFE0F'.repeat(64), 64)).toBe(false);
    expect(isPastMaxLength('\u{1F600}\uFE0F'.repeat(64) + 'a', 64)).toBe(true);
    const pieces = ['a', '\u{1F600}', '\uFE0F', '\uFE0E', 'a\uFE0F', '\u{1F600}\uFE0F', '\uD83D', '\uDE00', '\uDE00\uFE0F'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      const max = 1 + Math.floor(random() * 8);
      const value = Array.from({ length: Math.floor(random() * 4 * max) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect([value, isPastMaxLength(value, max)]).toEqual([value, !maxLength(value, max)]);
    }
  });

  it('refuses any array longer than the longest list a DTO takes, and values nested deeper than any DTO', async () => {
    const { count, messages } = setup();
    expect(await messages({ name: Array(REQUEST_ARRAY_ITEMS_MAX + 1).fill(1) }, UpdateGatewayDto)).toEqual([
      `name must contain no more than ${REQUEST_ARRAY_ITEMS_MAX} elements`,
    ]);
    let deep: unknown = 1;
    for (let i = 0; i <= REQUEST_DEPTH_MAX + 1; i++) deep = [deep];
    expect(await messages({ name: deep }, UpdateGatewayDto)).toHaveLength(1);
    expect(await count('items')).toBe(1);
    expect(await count('depth')).toBe(1);
  });

  it('reads a @Type that chooses its class by the object, as class-transformer calls it', async () => {
    const { count, messages } = setup();
    expect(await messages({ kind: 'small', child: { items: [1, 2, 3] } }, PickedTypeDto)).toEqual(['child.items must contain no more than 2 elements']);
    // Refused by the shape check (counted), before class-transformer and class-validator.
    expect(await count('array_max_size')).toBe(1);
  });

  it('leaves everything within the bounds to the validation as before', async () => {
    const { messages } = setup();
    const phases = Array.from({ length: 20 }, () => ({ percent: 5 }));
    expect(await messages({ version: '1.0', filter: { tags: ['a', 'b'] }, phases }, CreateRolloutDto)).toEqual([]);
    expect(await messages({ tags: ['A'], extra: 1 }, UpdateGatewayDto)).toEqual([
      'property extra should not exist',
      'tags are lower-case letters, digits and . _ : - (starting with a letter or digit)',
    ]);
  });
});

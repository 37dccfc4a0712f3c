import { CreateUserDto, LoginDto, UpdateGatewayDto } from '@upgrade-manager/dto';
import { hasErrors, validateDto } from './validate-dto';

describe('validateDto', () => {
  it('reports each invalid field with the DTO’s own message', () => {
    const errors = validateDto(CreateUserDto, { email: 'not-an-email', name: 'Olga', password: 'short', role: 'admin' });
    expect(errors.email).toBe('Email must be an email.');
    expect(errors.password).toMatch(/^Password must be longer than or equal to 8 characters/);
    expect(errors.name).toBeUndefined();
  });

  it('returns no errors for valid values', () => {
    expect(hasErrors(validateDto(LoginDto, { email: 'super@example.com', password: 'x' }))).toBe(false);
  });

  it('applies the DTO’s ranges and allows null to clear an optional field', () => {
    expect(validateDto(UpdateGatewayDto, { latitude: 91, longitude: null }).latitude).toBe('Latitude must not be greater than 90.');
    expect(validateDto(UpdateGatewayDto, { latitude: null, longitude: null })).toEqual({});
  });
});

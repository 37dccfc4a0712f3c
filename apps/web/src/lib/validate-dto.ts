import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export type FieldErrors<T> = Partial<Record<keyof T & string, string>>;

function firstMessage(error: ValidationError): string | undefined {
  const message = Object.values(error.constraints ?? {})[0];
  if (message) return message.charAt(0).toUpperCase() + message.slice(1) + '.';
  return error.children?.map(firstMessage).find(Boolean);
}

/**
 * Checks form values against a shared DTO class, the same rules the API applies,
 * and returns one message per invalid field (empty when valid).
 */
export function validateDto<T extends object>(dtoClass: new () => T, values: Partial<Record<keyof T, unknown>>): FieldErrors<T> {
  const instance = plainToInstance(dtoClass, values);
  const errors: FieldErrors<T> = {};
  for (const error of validateSync(instance, { forbidUnknownValues: false })) {
    const message = firstMessage(error);
    if (message) errors[error.property as keyof T & string] = message;
  }
  return errors;
}

export function hasErrors<T>(errors: FieldErrors<T>): boolean {
  return Object.keys(errors).length > 0;
}

import { ArgumentMetadata, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { DEPLOYMENT_MAX_GATEWAYS } from '@upgrade-manager/dto';
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, maxLength, ValidationError } from 'class-validator';
import type { Counter } from 'prom-client';

/**
 * Keys of all the objects of one request value together: a valid one has at most about a hundred
 * (a rollout of twenty phases), so more are refused whatever they are.
 */
export const REQUEST_KEYS_MAX = 1000;
/** The longest list any request DTO takes (a deployment's gateway ids). */
export const REQUEST_ARRAY_ITEMS_MAX = DEPLOYMENT_MAX_GATEWAYS;
/** Deeper than any request DTO nests. */
export const REQUEST_DEPTH_MAX = 16;

type Reason = 'keys' | 'items' | 'depth' | 'array_max_size' | 'max_length';
type Shape = { refused: ValidationError[]; reason: Reason } | null;
type ClassType = abstract new (...args: never[]) => unknown;

function error(property: string, value: unknown, constraint: string, message: string, children: ValidationError[] = []): ValidationError {
  return Object.assign(new ValidationError(), {
    property,
    value: children.length > 0 ? undefined : value,
    constraints: children.length > 0 ? undefined : { [constraint]: message },
    children,
  });
}

interface Bound {
  max: number;
  message: string;
}

// ArrayMaxSize and MaxLength bounds per class and property, read once from class-validator's metadata.
// Not those of a property with a @Transform: class-validator checks the transformed value (a trimmed
// name of 100 characters sent with a space is valid), and such routes take 100 KiB bodies at most.
const RULES = {
  arrayMaxSize: '$property must contain no more than $constraint1 elements',
  maxLength: '$property must be shorter than or equal to $constraint1 characters',
};
const boundsByClass = new WeakMap<ClassType, Map<string, { array?: Bound; string?: Bound }>>();
function boundsOf(target: ClassType): Map<string, { array?: Bound; string?: Bound }> {
  let bounds = boundsByClass.get(target);
  if (bounds) return bounds;
  bounds = new Map();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(target as never, '', true, false)) {
    if ((rule.name !== 'arrayMaxSize' && rule.name !== 'maxLength') || rule.each || typeof rule.constraints?.[0] !== 'number') continue;
    if (defaultMetadataStorage.findTransformMetadatas(target as never, rule.propertyName, TransformationType.PLAIN_TO_CLASS).length > 0) continue;
    const max = rule.constraints[0] as number;
    const template = typeof rule.message === 'string' ? rule.message : RULES[rule.name];
    const bound = { max, message: template.replace(/\$property/g, rule.propertyName).replace(/\$constraint1/g, String(max)) };
    const property = bounds.get(rule.propertyName) ?? {};
    bounds.set(rule.propertyName, rule.name === 'arrayMaxSize' ? { ...property, array: bound } : { ...property, string: bound });
  }
  boundsByClass.set(target, bounds);
  return bounds;
}

/**
 * MaxLength's own answer, without reading a long string: it counts a surrogate pair as one, and a
 * character followed by a variation selector (U+FE0E/F) as one, so every character it counts spans
 * at most three code units (a pair, then a selector). Past three times the bound, the string is too
 * long whatever it holds; between, MaxLength itself reads at most that much.
 */
export function isPastMaxLength(value: string, max: number): boolean {
  if (value.length <= max) return false;
  return value.length > 3 * max || !maxLength(value, max);
}

function nestedClass(target: ClassType | undefined, object: object, property: string): ClassType | undefined {
  if (!target) return undefined;
  const type = defaultMetadataStorage.findTypeMetadata(target, property);
  let nested: unknown;
  try {
    // With the arguments class-transformer gives it: a @Type may choose the class by the object.
    nested = type?.typeFunction?.({ newObject: {}, object: object as Record<string, unknown>, property });
  } catch {
    return undefined;
  }
  return typeof nested === 'function' ? (nested as ClassType) : undefined;
}

/**
 * What a request value is refused for before class-transformer and class-validator see it, or
 * null. Both do work per key and per item of the whole value, whatever its bounds: class-transformer
 * deduplicates an object's keys with `indexOf` (quadratic: 400,000 unknown keys, a 2.6 MB body,
 * held the event loop for 86 s; 4,300 objects of 100 keys under an unknown property 0.5 s), every validator of a property runs on an array past its
 * ArrayMaxSize (880,000 rollout phases: 16 s), and every validator of a string past its MaxLength
 * (a version pattern over 2.6 MB: 198 ms). Linear, iterative (no stack to exhaust).
 */
export function requestShapeErrors(value: unknown, metatype: ClassType | undefined): Shape {
  interface Pending {
    value: unknown;
    target: ClassType | undefined;
    depth: number;
    // The errors of the parent level, into which this level's error goes.
    path: string[];
  }
  const stack: Pending[] = [{ value, target: metatype, depth: 0, path: [] }];
  let keysSeen = 0;
  const refuse = (path: string[], property: string, child: unknown, constraint: string, message: string, reason: Reason): Shape => {
    let refused = error(property, child, constraint, message);
    for (let i = path.length - 1; i >= 0; i--) refused = error(path[i], undefined, '', '', [refused]);
    return { refused: [refused], reason };
  };
  while (stack.length > 0) {
    const { value: current, target, depth, path } = stack.pop() as Pending;
    // Binary values (an upload's buffer) are opaque: their bytes are not keys.
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    const last = path.at(-1) ?? '';
    const parentPath = path.slice(0, -1);
    if (depth > REQUEST_DEPTH_MAX) {
      return refuse(parentPath, last, undefined, 'maxDepth', `${last || 'the request'} nests deeper than ${REQUEST_DEPTH_MAX} levels`, 'depth');
    }
    if (Array.isArray(current)) {
      if (current.length > REQUEST_ARRAY_ITEMS_MAX) {
        return refuse(
          parentPath,
          last,
          undefined,
          'arrayMaxSize',
          `${last || 'the request'} must contain no more than ${REQUEST_ARRAY_ITEMS_MAX} elements`,
          'items',
        );
      }
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (item !== null && typeof item === 'object') stack.push({ value: item, target, depth: depth + 1, path: [...path, String(i)] });
      }
      continue;
    }
    const keys = Object.keys(current);
    keysSeen += keys.length;
    if (keysSeen > REQUEST_KEYS_MAX) {
      return refuse([], '', undefined, 'maxProperties', `the request must have no more than ${REQUEST_KEYS_MAX} properties in all its objects`, 'keys');
    }
    const bounds = target ? boundsOf(target) : undefined;
    for (const key of keys) {
      const child = (current as Record<string, unknown>)[key];
      const bound = bounds?.get(key);
      if (bound?.array && Array.isArray(child) && child.length > bound.array.max)
        return refuse(path, key, child.length, 'arrayMaxSize', bound.array.message, 'array_max_size');
      // A pattern or a format check of the string would read all of it first.
      if (bound?.string && typeof child === 'string' && isPastMaxLength(child, bound.string.max))
        return refuse(path, key, undefined, 'maxLength', bound.string.message, 'max_length');
      if (child !== null && typeof child === 'object')
        stack.push({ value: child, target: nestedClass(target, current, key), depth: depth + 1, path: [...path, key] });
    }
  }
  return null;
}

/**
 * Nest's ValidationPipe behind a linear check of the value's shape (requestShapeErrors): a value
 * past the bounds gets the pipe's own 400 (same format; an array past its ArrayMaxSize and a string past its
 * MaxLength get that rule's message) without being transformed or validated, and is counted.
 */
export class BoundedValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly refused?: Counter<'reason'>,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (value !== null && typeof value === 'object' && this.toValidate(metadata)) {
      const shape = requestShapeErrors(value, metadata.metatype as ClassType | undefined);
      if (shape) {
        this.refused?.inc({ reason: shape.reason });
        throw this.exceptionFactory(shape.refused);
      }
    }
    return super.transform(value, metadata);
  }
}

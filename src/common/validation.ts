import { applyDecorators, ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import {
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import { passwordProblem, USERNAME_PATTERN } from './credentials-rules';

// Control characters have no place in a name; a lone surrogate would be stored as U+FFFD.
const PLAIN_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;

/** Free text: a string of `minLength` (1) to `maxLength` characters without control characters (PostgreSQL refuses NUL). */
export const IsPlainText = (maxLength: number, minLength = 1) =>
  applyDecorators(
    IsString(),
    MinLength(minLength, { message: '$property must not be empty' }),
    MaxLength(maxLength),
    Matches(PLAIN_TEXT, { message: '$property must not contain control characters or lone surrogates' }),
  );

export const IsUsername = () =>
  applyDecorators(
    IsString(),
    Matches(USERNAME_PATTERN, {
      message: 'username must be 3 to 32 characters of ASCII letters, digits, ".", "_" or "-"',
    }),
  );

/** The contract's password rules: 8 characters at least, 72 bytes of UTF-8 at most. */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPassword',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && passwordProblem(value) === undefined,
        defaultMessage: (args) => {
          const property = args?.property ?? 'password';
          const problem = typeof args?.value === 'string' ? passwordProblem(args.value) : undefined;
          return problem ? problem.replace(/^password/, property) : `${property} must be a string`;
        },
      },
    });
}

/** Like IsOptional, but `null` is validated (and refused) rather than skipped: for fields that cannot be null. */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * Unknown fields named like Object.prototype members ("constructor", "toString"): class-transformer leaves them off
 * the DTO instance, so `forbidNonWhitelisted` never sees them. Reported in its words.
 */
export function inheritedNameProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.keys(value)
    .filter((key) => key in Object.prototype)
    .map((key) => `property ${key} should not exist`);
}

/** The global pipe: whitelist, forbid unknown fields (all of them, see inheritedNameProblems), transform. */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const problems = this.toValidate(metadata) ? inheritedNameProblems(value) : [];
    if (problems.length > 0) throw new BadRequestException(problems);
    return super.transform(value, metadata);
  }
}

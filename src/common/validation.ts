import { applyDecorators, ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { Transform } from 'class-transformer';
import {
  IsEmail,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import {
  hasInvisibleCharacter,
  normaliseEmail,
  passwordProblem,
  USERNAME_PATTERN,
} from './credentials-rules';

// Control characters have no place in a name; a lone surrogate would be stored as U+FFFD.
const PLAIN_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;

/**
 * Free text: a string of `minLength` (1) to `maxLength` characters without control characters (PostgreSQL refuses
 * NUL) or invisible ones.
 */
export const IsPlainText = (maxLength: number, minLength = 1) =>
  applyDecorators(
    IsString(),
    MinLength(minLength, { message: '$property must not be empty' }),
    MaxLength(maxLength),
    Matches(PLAIN_TEXT, { message: '$property must not contain control characters or lone surrogates' }),
    HasNoInvisibleCharacters({ isName: true }),
  );

/**
 * No invisible or bidirectional control characters (see INVISIBLE_CHARACTER), which make a name or an address look
 * like another; in a name (`isName`), the joiners its script needs are allowed. A value that is not a string is left
 * to the type's own check.
 */
export function HasNoInvisibleCharacters({ isName = false } = {}): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'hasNoInvisibleCharacters',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasInvisibleCharacter(value, { isName }),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must not contain invisible or bidirectional control characters`,
      },
    });
}

/** An email address of at most 254 characters (RFC 5321), taken in NFC (normaliseEmail). */
export const IsEmailAddress = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normaliseEmail(value) : value)),
    // Applied in this order, the messages come in the order clients have seen.
    MaxLength(254),
    IsEmail(),
    HasNoInvisibleCharacters(),
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [];
  }
  return Object.keys(value)
    .filter((key) => key in Object.prototype)
    .map((key) => `property ${key} should not exist`);
}

/** More fields than any request of the contract has (five at most); validating each would cost time for nothing. */
export const MAX_FIELDS = 32;
/** A 400 lists at most this many validation messages, then says how many more there were. */
export const MAX_MESSAGES = 20;

/** Why a body or query is refused before it is validated, or undefined. */
export function fieldCountProblem(value: unknown, where: string): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  // for...in stops counting early, where Object.keys would list all of an object of thousands first.
  let fields = 0;
  for (const key in value) {
    if (Object.hasOwn(value, key) && ++fields > MAX_FIELDS) {
      return `The request ${where} holds more than ${MAX_FIELDS} fields`;
    }
  }
  return undefined;
}

/** The first MAX_MESSAGES messages, and one saying how many were left off. */
export function boundedMessages(messages: string[]): string[] {
  if (messages.length <= MAX_MESSAGES) {
    return messages;
  }
  const more = messages.length - MAX_MESSAGES;
  return [...messages.slice(0, MAX_MESSAGES), `and ${more} more ${more === 1 ? 'problem' : 'problems'}`];
}

/**
 * The global pipe: whitelist, forbid unknown fields (all of them, see inheritedNameProblems), transform; bodies and
 * queries of too many fields are refused first, and the messages of a 400 are bounded.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      const tooMany = fieldCountProblem(value, metadata.type);
      if (tooMany) {
        throw new BadRequestException(tooMany);
      }
      const problems = inheritedNameProblems(value);
      if (problems.length > 0) {
        throw new BadRequestException(boundedMessages(problems));
      }
    }
    return super.transform(value, metadata);
  }

  protected override flattenValidationErrors(errors: ValidationError[]): string[] {
    return boundedMessages(super.flattenValidationErrors(errors));
  }
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmptyObject, IsObject } from 'class-validator';
import { IsOmittable, IsPlainText } from '../../common/validation';
import type { Passkey } from '../passkeys.repository';

export class PasskeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'Laptop', maxLength: 64 }) name!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ type: Date, nullable: true, description: 'null until its first sign-in' })
  lastUsedAt!: Date | null;
  @ApiProperty({ description: 'Whether it is synced (backed up), as the authenticator said last' })
  backedUp!: boolean;
  @ApiProperty({
    enum: ['singleDevice', 'multiDevice'],
    description: 'singleDevice: the key never leaves its authenticator; multiDevice: a synced passkey',
  })
  deviceType!: 'singleDevice' | 'multiDevice';
  @ApiProperty({ example: ['internal', 'hybrid'], description: 'How the browser reaches its authenticator' })
  transports!: string[];
}

export const toPasskeyDto = (passkey: Passkey): PasskeyDto => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: passkey.createdAt,
  lastUsedAt: passkey.lastUsedAt,
  backedUp: passkey.backedUp,
  deviceType: passkey.deviceType,
  transports: passkey.transports,
});

const CEREMONY_RESPONSE =
  "The browser's answer as JSON: what @simplewebauthn/browser's startRegistration or startAuthentication returns";

export class RegisterPasskeyDto {
  @ApiProperty({
    description: `${CEREMONY_RESPONSE} (RegistrationResponseJSON)`,
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  @IsNotEmptyObject()
  response!: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'Laptop', minLength: 1, maxLength: 64, description: 'Unset: Passkey' })
  @IsOmittable()
  @IsPlainText(64)
  name?: string;
}

export class RenamePasskeyDto {
  @ApiProperty({ example: 'Phone', minLength: 1, maxLength: 64 })
  @IsPlainText(64)
  name!: string;
}

export class PasskeySignInOptionsDto {
  @ApiPropertyOptional({
    description: 'A username or email: only its passkeys may answer. Unset: any passkey (usernameless)',
    example: 'john.doe',
  })
  @IsOmittable()
  @IsPlainText(320)
  username?: string;
}

export class PasskeySignInDto {
  @ApiProperty({
    description: `${CEREMONY_RESPONSE} (AuthenticationResponseJSON)`,
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  @IsNotEmptyObject()
  response!: Record<string, unknown>;
}

/** PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3), as startRegistration({ optionsJSON }) takes it. */
export class RegistrationOptionsDto {
  @ApiProperty({ example: { id: 'localhost', name: 'nest-auth-service' } }) rp!: {
    id?: string;
    name: string;
  };
  @ApiProperty({ example: { id: 'base64url of the user id', name: 'john.doe', displayName: 'John Doe' } })
  user!: { id: string; name: string; displayName: string };
  @ApiProperty({ description: '32 random bytes, base64url; good for one ceremony, 5 minutes' })
  challenge!: string;
  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      properties: { alg: { type: 'integer', description: 'COSE algorithm' }, type: { type: 'string' } },
    },
    example: [
      { alg: -8, type: 'public-key' },
      { alg: -7, type: 'public-key' },
      { alg: -257, type: 'public-key' },
    ],
  })
  pubKeyCredParams!: { alg: number; type: string }[];
  @ApiProperty({ example: 300000 }) timeout!: number;
  @ApiProperty({ example: 'none' }) attestation!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' } } },
    description: "The user's passkeys, which the browser will not register again",
    example: [],
  })
  excludeCredentials!: { id: string; type: string; transports?: string[] }[];
  @ApiProperty({
    example: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  })
  authenticatorSelection!: Record<string, unknown>;
}

/** PublicKeyCredentialRequestOptionsJSON, as startAuthentication({ optionsJSON }) takes it. */
export class AuthenticationOptionsDto {
  @ApiProperty({ description: '32 random bytes, base64url; good for one ceremony, 5 minutes' })
  challenge!: string;
  @ApiProperty({ example: 'localhost' }) rpId!: string;
  @ApiProperty({ example: 300000 }) timeout!: number;
  @ApiProperty({ example: 'required' }) userVerification!: string;
}

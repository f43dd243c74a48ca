import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 §2.2; only `active` when the token is not active. */
export class IntrospectionDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ format: 'uuid' }) sub?: string;
  @ApiPropertyOptional({ format: 'uuid' }) sid?: string;
  @ApiPropertyOptional({ type: [String], example: ['user'] }) roles?: string[];
  @ApiPropertyOptional({ example: 1795366285 }) exp?: number;
  @ApiPropertyOptional({ example: 1795365385 }) iat?: number;
  @ApiPropertyOptional({ example: 'http://localhost:3000' }) iss?: string;
  @ApiPropertyOptional({ example: 'nest-auth-service' }) aud?: string;
  @ApiPropertyOptional() jti?: string;
  @ApiPropertyOptional({ example: 'access_token' }) token_type?: string;
}

/** The form of POST /auth/introspect and /auth/revoke, for the OpenAPI document. */
export class TokenFormDto {
  @ApiProperty() token!: string;
  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    description: 'A hint; either kind is recognised',
  })
  token_type_hint?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 8414 §2, the fields that apply to this service. */
export class AuthorizationServerMetadataDto {
  @ApiProperty({ example: 'https://auth.example.com' }) issuer!: string;
  @ApiProperty({ example: 'https://auth.example.com/auth/token' }) token_endpoint!: string;
  @ApiPropertyOptional({ description: 'With RS256 or ES256 only' }) jwks_uri?: string;
  @ApiProperty() introspection_endpoint!: string;
  @ApiProperty() revocation_endpoint!: string;
  @ApiProperty({ example: ['password', 'refresh_token'] }) grant_types_supported!: string[];
  @ApiProperty({ example: [], description: 'Empty: there is no authorization endpoint' })
  response_types_supported!: string[];
  @ApiProperty({ example: [] }) scopes_supported!: string[];
  @ApiProperty({ example: ['none', 'client_secret_basic', 'client_secret_post'] })
  token_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ example: ['client_secret_basic'] }) introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ example: ['client_secret_basic'] }) revocation_endpoint_auth_methods_supported!: string[];
  @ApiPropertyOptional({ description: 'The Swagger UI, where it is served' }) service_documentation?: string;
}

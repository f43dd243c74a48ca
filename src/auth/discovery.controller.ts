import { Controller, Get, Header } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Anonymous } from '../common/decorators/public.decorator';
import type { Config } from '../config/config';
import { AuthorizationServerMetadataDto } from './dto/authorization-server-metadata.dto';

/**
 * RFC 8414: what a client needs to configure itself, built once from the settings. Endpoints hang off the issuer
 * (JWT_ISSUER, the service's public URL), as tokens name it.
 */
@ApiTags('operations')
@Anonymous()
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: AuthorizationServerMetadataDto;

  constructor(config: ConfigService<Config, true>) {
    const { issuer, algorithm } = config.get('jwt', { infer: true });
    const base = issuer.replace(/\/+$/, '');
    this.metadata = {
      issuer,
      token_endpoint: `${base}/auth/token`,
      ...(algorithm !== 'HS256' && { jwks_uri: `${base}/.well-known/jwks.json` }),
      introspection_endpoint: `${base}/auth/introspect`,
      revocation_endpoint: `${base}/auth/revoke`,
      grant_types_supported: ['password', 'refresh_token'],
      // No authorization endpoint: no response type is served (the field is required, so it is empty).
      response_types_supported: [],
      scopes_supported: [],
      // The public client sends none; confidential clients (INTROSPECTION_CLIENTS) either of the two.
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      ...(config.get('http', { infer: true }).isSwaggerEnabled && { service_documentation: `${base}/api` }),
    };
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({
    summary: 'OAuth 2.0 Authorization Server Metadata (RFC 8414): endpoints and what they accept',
  })
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  discovery(): AuthorizationServerMetadataDto {
    return this.metadata;
  }
}

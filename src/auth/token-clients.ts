import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { ClientAuthenticationException } from '../common/client-authentication.exception';
import { OAuthError } from '../common/oauth-error';
import type { Config } from '../config/config';
import { basicCredentials, ClientCredentialsGuard } from './guards/client-credentials.guard';

/**
 * Who asks the token endpoint (RFC 6749 §2.3, §3.2.1): the public client JWT_CLIENT_ID (a `client_id`, HTTP
 * Basic with no secret, or nothing), or a confidential client of INTROSPECTION_CLIENTS proving itself with HTTP Basic or `client_secret` in the form.
 * A `client_id` that names no client, or credentials that fail, are a 401 invalid_client, counted per address as
 * introspection's are.
 */
@Injectable()
export class TokenClients {
  private readonly publicClientId: string;

  constructor(
    private readonly confidential: ClientCredentialsGuard,
    config: ConfigService<Config, true>,
  ) {
    this.publicClientId = config.get('jwt', { infer: true }).clientId;
  }

  /** The confidential client of a token request, or undefined for the public client. */
  async confidentialClientOf(
    request: FastifyRequest,
    form: Record<string, unknown>,
  ): Promise<string | undefined> {
    const clientId = parameter(form, 'client_id');
    const secret = parameter(form, 'client_secret');
    const { authorization } = request.headers;
    if (authorization !== undefined) {
      if (secret !== undefined) {
        throw new OAuthError(
          'invalid_request',
          'Authenticate the client one way: HTTP Basic or client_secret',
        );
      }
      const basic = basicCredentials(authorization);
      // No secret: the public client (or none named, as Swagger UI sends when its client fields are empty).
      if (basic?.secret === '' && (basic.id === '' || basic.id === this.publicClientId)) {
        if (clientId !== undefined && clientId !== this.publicClientId) {
          throw new ClientAuthenticationException();
        }
        return undefined;
      }
      const id = await this.confidential.authenticate(request, basic);
      if (clientId !== undefined && clientId !== id) {
        throw new ClientAuthenticationException();
      }
      return id;
    }
    if (secret !== undefined) {
      return this.confidential.authenticate(
        request,
        clientId === undefined ? undefined : { id: clientId, secret },
      );
    }
    if (clientId === undefined || clientId === this.publicClientId) {
      return undefined;
    }
    // A confidential client that did not authenticate, or an id that names no client: the same failure.
    return this.confidential.authenticate(request, undefined);
  }
}

function parameter(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name];
  if (value === undefined || value === '') {
    return undefined;
  }
  if (typeof value !== 'string' || value.length > 1024) {
    throw new OAuthError('invalid_request', `${name} must be given once`);
  }
  return value;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { ClientAuthenticationException } from '../../common/client-authentication.exception';
import type { Env } from '../../config/env.schema';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * HTTP Basic authentication of the resource servers in INTROSPECTION_CLIENTS (RFC 6749 §2.3.1: id and secret
 * form-encoded inside Basic). Secrets are compared as SHA-256 digests in constant time, and an unknown id costs
 * the same comparison, so timing tells neither which ids exist nor how much of a secret was right.
 */
@Injectable()
export class ClientCredentialsGuard implements CanActivate {
  private readonly clients: Map<string, Buffer>;

  constructor(config: ConfigService<Env, true>) {
    const pairs = (config.get('INTROSPECTION_CLIENTS', { infer: true }) ?? '')
      .split(',')
      .filter((pair) => pair.trim());
    this.clients = new Map(
      pairs.map((pair) => {
        const [id, ...secret] = pair.trim().split(':');
        return [id!, digest(secret.join(':'))];
      }),
    );
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { client?: string }>();
    const credentials = basicCredentials(request.headers.authorization);
    const expected = (credentials && this.clients.get(credentials.id)) ?? digest('no such client');
    const matches = timingSafeEqual(expected, digest(credentials?.secret ?? ''));
    if (!credentials || !this.clients.has(credentials.id) || !matches)
      throw new ClientAuthenticationException();
    request.client = credentials.id;
    return true;
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

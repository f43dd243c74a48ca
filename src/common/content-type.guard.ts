import {
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { CachedReflector } from './cached-reflector';
import type { FastifyRequest } from 'fastify';
import { OAuthError } from './oauth-error';

const FORM_ENCODED = 'formEncoded';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Marks an OAuth 2.0 endpoint, whose body is a form (RFC 6749 §4.3.2, RFC 7662, RFC 7009). */
export const FormEncoded = () => SetMetadata(FORM_ENCODED, true);

/**
 * Bodies come as the contract says: forms on @FormEncoded() routes, JSON everywhere else. Fastify would parse
 * either anywhere; a form accepted by a JSON route would also let any web page post to it without a preflight.
 */
@Injectable()
export class ContentTypeGuard implements CanActivate {
  constructor(private readonly reflector: CachedReflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.body === undefined || request.body === null) {
      return true;
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (this.reflector.getAllAndOverride<boolean>(FORM_ENCODED, [context.getHandler(), context.getClass()])) {
      if (type !== FORM) {
        throw new OAuthError('invalid_request', `The body must be ${FORM}`);
      }
    } else if (type !== JSON_TYPE) {
      throw new UnsupportedMediaTypeException(`The body must be ${JSON_TYPE}`);
    }
    return true;
  }
}

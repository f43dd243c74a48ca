import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JWK } from 'jose';
import { ErrorDto } from '../common/error.dto';
import { Secrets } from '../secrets/secrets';
import { Anonymous } from '../common/decorators/public.decorator';

@ApiTags('operations')
@Anonymous()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly secrets: Secrets) {}

  @Get('jwks.json')
  // Brief, so that verifiers see a rotation soon; long enough that they need not ask per token.
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The public keys that verify access tokens (RS256/ES256): current, and previous in a rotation',
  })
  @ApiOkResponse({
    description: 'A JWK Set (RFC 7517)',
    schema: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } },
  })
  @ApiNotFoundResponse({ description: 'Tokens are signed with HS256, whose key is secret', type: ErrorDto })
  jwks(): { keys: JWK[] } {
    if (this.secrets.algorithm === 'HS256') {
      throw new NotFoundException('Tokens are signed with a shared secret: there are no public keys');
    }
    return { keys: this.secrets.jwks };
  }
}

import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { clientOf } from '../../common/decorators/client-info.decorator';
import { CredentialsService } from '../../users/credentials.service';
import { type AcceptedSignIn, SignInService } from '../sign-in.service';

/** The JSON door's password: who it proves, accepted by the sign-in rules; the controller then starts the session. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly signIns: SignInService,
  ) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true });
  }

  async validate(request: FastifyRequest, username: string, password: string): Promise<AcceptedSignIn> {
    return this.signIns.accept(await this.credentials.check(username, password), clientOf(request));
  }
}

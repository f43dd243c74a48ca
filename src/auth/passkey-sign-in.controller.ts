import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Client } from '../common/decorators/client-info.decorator';
import { NoStore, NoStoreTokens } from '../common/decorators/no-store.decorator';
import { Anonymous } from '../common/decorators/public.decorator';
import { ErrorDto } from '../common/error.dto';
import {
  AuthenticationOptionsDto,
  PasskeySignInDto,
  PasskeySignInOptionsDto,
} from '../passkeys/dto/passkey.dto';
import { PasskeysService } from '../passkeys/passkeys.service';
import { AuthRateLimit, SignInRateLimit } from '../rate-limit/rate-limit.decorators';
import type { ClientInfo } from '../sessions/session';
import { TokenPairDto } from './dto/token-pair.dto';
import { SignInService } from './sign-in.service';

/** Signing in with a passkey: a door of its own, whose proof SignInService takes as it takes a password's. */
@ApiTags('auth')
@Controller('auth/passkeys')
export class PasskeySignInController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly signIns: SignInService,
  ) {}

  @Anonymous()
  @AuthRateLimit()
  @Post('options')
  @HttpCode(200)
  @NoStore()
  @ApiOperation({
    summary:
      'Start a sign-in with a passkey: the options for navigator.credentials.get(); without a username, any passkey of the RP',
  })
  @ApiOkResponse({ type: AuthenticationOptionsDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  authenticationOptions(@Body() { username }: PasskeySignInOptionsDto): Promise<AuthenticationOptionsDto> {
    return this.passkeys.authenticationOptions(username) as Promise<AuthenticationOptionsDto>;
  }

  @Anonymous()
  @SignInRateLimit()
  @Post('verify')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiOperation({ summary: "Sign in with a passkey: the browser's answer to the options; amr hwk, user" })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({
    description:
      'The passkey was not accepted: unknown, a challenge unknown, used, expired or another’s, another origin, no user verification, a bad signature, a counter that did not go up',
    type: ErrorDto,
  })
  @ApiForbiddenResponse({ description: 'Account disabled, or its address unverified', type: ErrorDto })
  @ApiTooManyRequestsResponse({
    description: 'Locked, or too many attempts; see Retry-After',
    type: ErrorDto,
  })
  async verify(@Body() { response }: PasskeySignInDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.signIns.signIn(await this.passkeys.authenticate(response, client), client);
  }
}

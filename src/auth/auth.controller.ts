import { Body, Controller, Req, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FormEncoded } from '../common/content-type.guard';
import { NoStore, NoStoreTokens } from '../common/decorators/no-store.decorator';
import { ErrorDto, MfaRequiredDto, OAuthErrorDto, OAuthMfaRequiredDto } from '../common/error.dto';
import { OAuthError } from '../common/oauth-error';
import type { ClientInfo } from '../sessions/session';
import { AuthRateLimit, SignInRateLimit } from '../rate-limit/rate-limit.decorators';
import { RegisterDto } from '../users/dto/register.dto';
import { toUserDto, UserDto } from '../users/dto/user.dto';
import type { AuthUser } from '../users/user';
import { UsersService } from '../users/users.service';
import { AuthService, type Introspection } from './auth.service';
import { CLIENT_SCHEME } from '../common/decorators/api-signed-in.decorator';
import { IntrospectionDto, TokenFormDto } from './dto/introspection.dto';
import { ClientCredentialsGuard } from './guards/client-credentials.guard';
import type { FastifyRequest } from 'fastify';
import { ApiSignedIn } from '../common/decorators/api-signed-in.decorator';
import { Client } from '../common/decorators/client-info.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Anonymous, Public } from '../common/decorators/public.decorator';
import { LoginDto } from './dto/login.dto';
import { MfaSignInDto, ReauthenticateDto } from './dto/mfa-sign-in.dto';
import { RefreshDto } from './dto/refresh.dto';
import { TokenPairDto } from './dto/token-pair.dto';
import { TokenRequestDto } from './dto/token-request.dto';
import { LocalAuthGuard } from './guards/local-auth.guard';
import { type AcceptedSignIn, SignInService } from './sign-in.service';
import { TokenClients } from './token-clients';
import { parseTokenRequest } from './token-request';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly signIns: SignInService,
    private readonly users: UsersService,
    private readonly tokenClients: TokenClients,
  ) {}

  @Anonymous()
  @AuthRateLimit()
  @Post('register')
  @NoStore()
  @ApiOperation({ summary: 'Create an account (role user)' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ description: 'Registration is turned off', type: ErrorDto })
  @ApiConflictResponse({ description: 'Username or email taken', type: ErrorDto })
  async register(@Body() registration: RegisterDto, @Client() client: ClientInfo): Promise<UserDto> {
    return toUserDto(await this.users.register(registration, client));
  }

  @Anonymous()
  @SignInRateLimit()
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiOperation({ summary: 'Sign in with a username (or email) and password' })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({ description: 'Wrong credentials', type: ErrorDto })
  @ApiForbiddenResponse({
    description:
      'Account disabled or address unverified (ErrorDto); or, for an account with a second factor, the right ' +
      'password: MfaRequiredDto, whose mfa_token POST /auth/mfa completes',
    type: MfaRequiredDto,
  })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After', type: ErrorDto })
  login(@CurrentUser() accepted: AcceptedSignIn, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.signIns.start(accepted, client);
  }

  @Anonymous()
  @SignInRateLimit()
  @FormEncoded()
  @Post('token')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiOperation({ summary: 'OAuth 2.0 token endpoint: password and refresh_token grants (RFC 6749)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'RFC 6749 §5.2 error', type: OAuthErrorDto })
  @ApiForbiddenResponse({
    description: 'mfa_required: the right password of an account with a second factor, without otp',
    type: OAuthMfaRequiredDto,
  })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After', type: ErrorDto })
  async token(
    @Body() form: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Client() client: ClientInfo,
  ): Promise<TokenPairDto> {
    const tokenRequest = parseTokenRequest(form);
    const clientId = await this.tokenClients.confidentialClientOf(request, form ?? {});
    return this.auth.grant(tokenRequest, { ...client, ...(clientId && { clientId }) });
  }

  @Anonymous()
  @SignInRateLimit()
  @Post('mfa')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiOperation({ summary: 'Complete a sign-in that needs a second factor: its mfa_token and a code' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({
    description: 'Wrong code, or an mfa_token unknown, used, expired, struck out or of another client',
    type: ErrorDto,
  })
  @ApiForbiddenResponse({ description: 'Account disabled meanwhile', type: ErrorDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After', type: ErrorDto })
  mfa(@Body() body: MfaSignInDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.auth.completeWithCode(body.mfa_token, body.code, client);
  }

  @SignInRateLimit()
  @Post('reauthenticate')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiSignedIn()
  @ApiOperation({
    summary:
      'Step up (RFC 9470): prove the password (and a code) again; a new pair in the same session, auth_time now',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ description: 'Wrong password or code', type: ErrorDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After', type: ErrorDto })
  reauthenticate(
    @CurrentUser() me: AuthUser,
    @Body() body: ReauthenticateDto,
    @Client() client: ClientInfo,
  ): Promise<TokenPairDto> {
    return this.auth.reauthenticate(me, body.password, body.code, client);
  }

  @Anonymous()
  @AuthRateLimit()
  @Post('refresh')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; the old refresh token stops working' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({ description: 'Unknown, expired or revoked refresh token', type: ErrorDto })
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.auth.refresh(body.refresh_token, client);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiSignedIn()
  @ApiOperation({ summary: 'End this session: its refresh token and access tokens stop working' })
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(@CurrentUser() me: AuthUser, @Client() client: ClientInfo): Promise<void> {
    await this.auth.signOut(me, client);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiSignedIn()
  @ApiOperation({ summary: 'End every session of the signed-in user' })
  @ApiNoContentResponse({ description: 'Signed out everywhere' })
  async logoutAll(@CurrentUser() me: AuthUser, @Client() client: ClientInfo): Promise<void> {
    await this.auth.signOutEverywhere(me, client);
  }

  @Public()
  @FormEncoded()
  @UseGuards(ClientCredentialsGuard)
  @Post('introspect')
  @HttpCode(200)
  @NoStoreTokens()
  @ApiBasicAuth(CLIENT_SCHEME)
  @ApiOperation({
    summary: 'RFC 7662: is this access token active now? For resource servers in INTROSPECTION_CLIENTS',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenFormDto })
  @ApiOkResponse({ type: IntrospectionDto })
  @ApiUnauthorizedResponse({ description: 'Bad client credentials', type: ErrorDto })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed client authentications from this address; see Retry-After',
    type: ErrorDto,
  })
  introspect(@Body() form: Record<string, unknown>): Promise<Introspection> {
    return this.auth.introspect(tokenOf(form));
  }

  @Public()
  @FormEncoded()
  @UseGuards(ClientCredentialsGuard)
  @Post('revoke')
  @HttpCode(200)
  @ApiBasicAuth(CLIENT_SCHEME)
  @ApiOperation({
    summary: 'RFC 7009: end the session of a refresh (or access) token; 200 whether or not it was known',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenFormDto })
  @ApiOkResponse({ description: 'Revoked, or never known' })
  @ApiUnauthorizedResponse({ description: 'Bad client credentials', type: ErrorDto })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed client authentications from this address; see Retry-After',
    type: ErrorDto,
  })
  async revoke(
    @Body() form: Record<string, unknown>,
    @Req() request: { client: string },
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.auth.revoke(tokenOf(form), request.client, client);
  }
}

/** The `token` parameter of an introspection or revocation form; a missing one is an RFC 6749 invalid_request. */
function tokenOf(form: Record<string, unknown> | undefined): string {
  const token = form?.token;
  if (typeof token !== 'string' || token === '' || token.length > 8192) {
    throw new OAuthError('invalid_request', 'token is required, once');
  }
  return token;
}

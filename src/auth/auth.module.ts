import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { Clock } from '../common/clock';
import { MfaModule } from '../mfa/mfa.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { RateLimitStorageModule } from '../rate-limit/rate-limit.module';
import { Secrets } from '../secrets/secrets';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenVerifier } from './access-token-verifier';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DiscoveryController } from './discovery.controller';
import { JwksController } from './jwks.controller';
import { PasskeySignInController } from './passkey-sign-in.controller';
import { SignInService } from './sign-in.service';
import { jwtOptions } from './jwt-options';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { ClientCredentialsGuard } from './guards/client-credentials.guard';
import { TokenClients } from './token-clients';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    AuditModule,
    // The storage ClientCredentialsGuard counts failures in.
    RateLimitStorageModule,
    UsersModule,
    MfaModule,
    PasskeysModule,
    SessionsModule,
    PassportModule,
    JwtModule.registerAsync({ inject: [ConfigService, Secrets], useFactory: jwtOptions }),
  ],
  controllers: [AuthController, PasskeySignInController, JwksController, DiscoveryController],
  providers: [
    SignInService,
    AuthService,
    TokensService,
    AccessTokenVerifier,
    LocalStrategy,
    JwtStrategy,
    ClientCredentialsGuard,
    TokenClients,
    Clock,
  ],
  // For JwtAuthGuard, a global guard.
  exports: [AccessTokenVerifier, JwtStrategy],
})
export class AuthModule {}

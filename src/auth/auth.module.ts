import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { Env } from '../config/env.schema';
import { Secrets } from '../secrets/secrets';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { ACCESS_TOKEN_TYPE } from './access-token';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    UsersModule,
    SessionsModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService, Secrets],
      useFactory: (config: ConfigService<Env, true>, secrets: Secrets) => ({
        secret: secrets.jwtKey,
        signOptions: {
          algorithm: 'HS256',
          header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE, kid: secrets.jwtKeyId },
          expiresIn: config.get('ACCESS_TOKEN_TTL', { infer: true }),
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, TokensService, LocalStrategy, JwtStrategy],
})
export class AuthModule {}

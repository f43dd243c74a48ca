import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountExportModule } from './account-export/account-export.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/guards/jwt-auth.guard';
import { CachedReflector } from './common/cached-reflector';
import { RolesGuard } from './auth/guards/roles.guard';
import { ContentTypeGuard } from './common/content-type.guard';
import { loadConfigModule } from './config/config.module';
import type { Config } from './config/config';
import { AuthCacheModule } from './auth-cache/auth-cache.module';
import { MailModule } from './mail/mail.module';
import { MetricsModule } from './metrics/metrics.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RetentionModule } from './retention/retention.module';
import { SecretsModule } from './secrets/secrets.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** The application on a configuration validated before Nest starts anything (main.ts, or each test app's). */
  static async forRoot(config: Config): Promise<DynamicModule> {
    return {
      module: AppModule,
      imports: [
        await loadConfigModule(config),
        LoggingModule,
        DatabaseModule,
        AuthCacheModule,
        SecretsModule,
        UsersModule,
        AuthModule,
        AdminModule,
        AccountExportModule,
        HealthModule,
        MetricsModule,
        MailModule,
        RateLimitModule,
        RetentionModule,
      ],
      providers: [
        CachedReflector,
        // In this order: the body's type, the rate limits, who the caller is, then what the caller may do.
        { provide: APP_GUARD, useClass: ContentTypeGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
    };
  }
}

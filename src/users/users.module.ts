import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BackgroundWork } from '../common/background-work';
import { Clock } from '../common/clock';
import { PasswordsModule } from '../passwords/passwords.module';
import { RateLimitStorageModule } from '../rate-limit/rate-limit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrap } from './admin-bootstrap';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerificationRepository } from './email-verification.repository';
import { EmailVerificationService } from './email-verification.service';
import { MeController } from './me.controller';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetRepository } from './password-reset.repository';
import { PasswordResetService } from './password-reset.service';
import { StepUp } from './step-up';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [SessionsModule, AuditModule, PasswordsModule, RateLimitStorageModule],
  controllers: [MeController, PasswordResetController, EmailVerificationController],
  providers: [
    UsersRepository,
    UsersService,
    CredentialsRepository,
    CredentialsService,
    PasswordResetRepository,
    PasswordResetService,
    EmailVerificationRepository,
    EmailVerificationService,
    BackgroundWork,
    AdminBootstrap,
    StepUp,
    Clock,
  ],
  exports: [UsersService, CredentialsService, StepUp],
})
export class UsersModule {}

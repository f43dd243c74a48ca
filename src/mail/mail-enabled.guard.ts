import { type CanActivate, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';

/** With MAIL_ENABLED=false the routes that send mail do not exist: 404, as for any unknown route. */
@Injectable()
export class MailEnabledGuard implements CanActivate {
  private readonly isEnabled: boolean;

  constructor(config: ConfigService<Config, true>) {
    this.isEnabled = config.get('mail', { infer: true }).isEnabled;
  }

  canActivate(): boolean {
    if (!this.isEnabled) {
      throw new NotFoundException('Cannot POST this route: mail is turned off (MAIL_ENABLED=false)');
    }
    return true;
  }
}

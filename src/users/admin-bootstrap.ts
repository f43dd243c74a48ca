import { randomBytes } from 'node:crypto';
import { BadRequestException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';
import { UsersService } from './users.service';

/** Creates the first admin from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD when no user of that name exists. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly users: UsersService,
    private readonly config: ConfigService<Config, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const {
      username,
      email,
      password: configuredPassword,
    } = this.config.get('bootstrapAdmin', { infer: true });
    if (!configuredPassword && this.config.get('isProduction', { infer: true })) {
      this.logger.log('ADMIN_PASSWORD is not set: no admin is created at start-up');
      return;
    }
    const password = configuredPassword ?? randomBytes(18).toString('base64url');
    try {
      if (!(await this.users.ensureAdmin({ username, email, password }))) {
        return;
      }
    } catch (error) {
      if (!(error instanceof BadRequestException)) {
        throw error;
      }
      const { message } = error.getResponse() as { message: string[] };
      throw new Error(`Invalid environment:\n  ADMIN_PASSWORD: ${message.join('; ')}`, { cause: error });
    }
    if (configuredPassword) {
      this.logger.log(`Created the admin "${username}" with the password from ADMIN_PASSWORD`);
    } else {
      // Printed once, on purpose: it is the only way in to a fresh development instance. Not a log of a secret a
      // user chose; set ADMIN_PASSWORD to avoid it.
      process.stdout.write(
        `\n  Created the admin "${username}" with a generated password: ${password}\n` +
          `  Sign in: curl -X POST http://localhost:${this.config.get('http', { infer: true }).port}/auth/login ` +
          `-H 'content-type: application/json' -d '{"username":"${username}","password":"${password}"}'\n` +
          `  It is shown only this once; change it with POST /users/me/password.\n\n`,
      );
    }
  }
}

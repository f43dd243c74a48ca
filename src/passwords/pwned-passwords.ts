import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';

/**
 * A Have I Been Pwned compatible range API (PWNED_PASSWORDS_URL), asked with k-anonymity: only the first five hex
 * characters of the password's SHA-1 leave the service. When the API does not answer in time, it fails open:
 * the password is accepted and a warning logged, so an outage there never stops sign-ups here.
 */
@Injectable()
export class PwnedPasswords {
  private readonly logger = new Logger(PwnedPasswords.name);
  private readonly baseUrl: string | undefined;
  private readonly timeoutMs: number;

  constructor(config: ConfigService<Config, true>) {
    const { pwnedPasswordsUrl, pwnedPasswordsTimeoutMs } = config.get('passwords', { infer: true });
    this.baseUrl = pwnedPasswordsUrl;
    this.timeoutMs = pwnedPasswordsTimeoutMs;
  }

  async isBreached(password: string): Promise<boolean> {
    if (!this.baseUrl) {
      return false;
    }
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);
    try {
      const response = await fetch(new URL(prefix, this.baseUrl), {
        headers: { 'Add-Padding': 'true' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) {
        throw new Error(`answered ${response.status}`);
      }
      return (await response.text()).split('\n').some((line) => {
        const [candidate, count] = line.trim().split(':');
        return candidate === suffix && Number(count) > 0;
      });
    } catch (error) {
      this.logger.warn(
        `The breached-password check was skipped: ${error instanceof Error ? error.message : 'no answer'}`,
      );
      return false;
    }
  }
}

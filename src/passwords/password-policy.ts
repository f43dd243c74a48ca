import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { Config } from '../config/config';
import { PwnedPasswords } from './pwned-passwords';

/**
 * What the strength estimator analyses of a password: its cost grows with the square of the length times its
 * l33t readings, so a long password of digits and symbols would hold the event loop for seconds. Capped, the
 * worst case stays short (`npm run bench` measures it); longer passwords are judged by their start.
 */
export const STRENGTH_CHECKED_CHARACTERS = 20;
const STRENGTH_L33T_READINGS = 20;

export interface PasswordOwner {
  username: string;
  email: string;
}

/**
 * NIST SP 800-63B §3.1.1.2: beyond length (checked by the DTOs), refuse passwords that are common, guessable or
 * built from the account's own names, and, when a breach corpus is configured, ones known to have leaked.
 */
@Injectable()
export class PasswordPolicy {
  private readonly minScore: number;
  private estimator?: Promise<ZxcvbnFactory>;

  constructor(
    config: ConfigService<Config, true>,
    private readonly pwned: PwnedPasswords,
  ) {
    this.minScore = config.get('passwords', { infer: true }).minScore;
  }

  /** Why `password` is refused for this account, in words a person can act on; undefined when it is fine. */
  async problem(password: string, owner: PasswordOwner): Promise<string | undefined> {
    const lowered = password.toLowerCase();
    const names = [owner.username, owner.email, owner.email.split('@')[0] ?? ''].filter(
      (name) => name.length >= 3,
    );
    if (names.some((name) => lowered.includes(name.toLowerCase()))) {
      return 'password must not contain your username or email';
    }
    const { score, feedback } = (await this.loadEstimator()).check(password, names);
    if (score < this.minScore) {
      const why = feedback.warning ?? 'it is too easy to guess';
      const hint = feedback.suggestions[0];
      return `password is too weak: ${why.replace(/\.$/, '')}${hint ? `. ${hint}` : ''}`;
    }
    if (await this.pwned.isBreached(password)) {
      return 'password has appeared in a data breach; choose another';
    }
    return undefined;
  }

  /**
   * The dictionaries take about 50 MB and a noticeable part of the start-up, so they are loaded when a password is
   * first set, not by instances that only check tokens.
   */
  private loadEstimator(): Promise<ZxcvbnFactory> {
    this.estimator ??= (async () => {
      const [{ ZxcvbnFactory }, common, english] = await Promise.all([
        import('@zxcvbn-ts/core'),
        import('@zxcvbn-ts/language-common'),
        import('@zxcvbn-ts/language-en'),
      ]);
      return new ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...english.dictionary },
        graphs: common.adjacencyGraphs,
        translations: english.translations,
        maxLength: STRENGTH_CHECKED_CHARACTERS,
        l33tMaxSubstitutions: STRENGTH_L33T_READINGS,
      });
    })();
    return this.estimator;
  }
}

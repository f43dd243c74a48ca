import type { Config } from '../config/config';
import type { MailTemplateName } from '../users/user';
import type { MailContent } from './templates/html';
import { accountDeletedMessage } from './templates/account-deleted';
import { emailChangeConfirmMessage } from './templates/email-change-confirm';
import { emailChangeNoticeMessage } from './templates/email-change-notice';
import { emailVerificationMessage } from './templates/email-verification';
import { type PasskeyChange, passkeyChangedMessage } from './templates/passkey-changed';
import { passwordChangedMessage } from './templates/password-changed';
import { passwordResetMessage } from './templates/password-reset';
import { type SecondFactorChange, secondFactorChangedMessage } from './templates/second-factor-changed';

/**
 * A queued message as it is sent: its template with the fields the outbox kept, and the link rebuilt from the
 * token derived at send time (the outbox never holds it). Links carry the token in the fragment, which no server
 * log or Referer receives; the application POSTs it.
 */
export function renderMessage(
  template: MailTemplateName,
  fields: Record<string, string>,
  token: string | undefined,
  mail: Pick<
    Config['mail'],
    'appName' | 'appUrl' | 'passwordResetTtlSeconds' | 'emailVerificationTtlSeconds'
  >,
): MailContent {
  const username = fields.username ?? '';
  switch (template) {
    case 'password-reset':
      return passwordResetMessage({
        appName: mail.appName,
        username,
        link: `${mail.appUrl}/reset-password#token=${requireToken(token, template)}`,
        ttlMinutes: Math.round(mail.passwordResetTtlSeconds / 60),
      });
    case 'password-changed':
      return passwordChangedMessage({ appName: mail.appName, username });
    case 'email-verification':
      return emailVerificationMessage({
        appName: mail.appName,
        username,
        link: `${mail.appUrl}/verify-email#token=${requireToken(token, template)}`,
        ttlMinutes: Math.round(mail.emailVerificationTtlSeconds / 60),
      });
    case 'email-change-confirm':
      return emailChangeConfirmMessage({
        appName: mail.appName,
        username,
        newEmail: fields.newEmail ?? '',
        link: `${mail.appUrl}/verify-email#token=${requireToken(token, template)}`,
        ttlMinutes: Math.round(mail.emailVerificationTtlSeconds / 60),
      });
    case 'email-change-notice':
      return emailChangeNoticeMessage({ appName: mail.appName, username, newEmail: fields.newEmail ?? '' });
    case 'account-deleted':
      return accountDeletedMessage({ appName: mail.appName, username });
    case 'second-factor-changed':
      return secondFactorChangedMessage({
        appName: mail.appName,
        username,
        change: fields.change as SecondFactorChange,
        left: fields.left,
      });
    case 'passkey-changed':
      return passkeyChangedMessage({
        appName: mail.appName,
        username,
        change: fields.change as PasskeyChange,
        passkey: fields.passkey ?? '',
      });
  }
}

/** A message that can never be sent (its token row is gone with its user): failed at once, not retried. */
export class ObsoleteMessageError extends Error {}

function requireToken(token: string | undefined, template: MailTemplateName): string {
  if (!token) {
    throw new ObsoleteMessageError(`The ${template} message has no token any more`);
  }
  return token;
}

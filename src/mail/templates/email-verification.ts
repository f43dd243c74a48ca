import { letter, type MailContent, minutesInWords } from './html';

export interface EmailVerificationFields {
  appName: string;
  username: string;
  /** <APP_URL>/verify-email#token=…: the application reads the token and POSTs it. */
  link: string;
  /** How long the link works; unset: not said. */
  ttlMinutes?: number;
}

export function emailVerificationMessage({
  appName,
  username,
  link,
  ttlMinutes,
}: EmailVerificationFields): MailContent {
  const subject = `Confirm your email address for ${appName}`;
  const ask =
    `Please confirm that this is the email address of your ${appName} account` +
    (ttlMinutes === undefined ? ':' : `, within ${minutesInWords(ttlMinutes)}:`);
  const ifNotYou = `If you did not create a ${appName} account, ignore this message.`;
  return letter({
    appName,
    username,
    subject,
    paragraphs: [ask, { label: 'Confirm my email address', link }, ifNotYou],
  });
}

import { letter, type MailContent, minutesInWords } from './html';

export interface PasswordResetFields {
  appName: string;
  username: string;
  /** <APP_URL>/reset-password#token=…: the application reads the token and POSTs it. */
  link: string;
  ttlMinutes: number;
}

export function passwordResetMessage({
  appName,
  username,
  link,
  ttlMinutes,
}: PasswordResetFields): MailContent {
  const subject = `Reset your ${appName} password`;
  const within = minutesInWords(ttlMinutes);
  return letter({
    appName,
    username,
    subject,
    paragraphs: [
      `Someone asked to reset the password of your ${appName} account. To choose a new one, open this link within ${within}:`,
      { label: 'Choose a new password', link },
      'The link works once. If you did not ask for this, ignore this message: your password stays as it is.',
    ],
  });
}

import { letter, type MailContent } from './html';

export interface PasswordChangedFields {
  appName: string;
  username: string;
}

/** Sent after a reset or a change; carries no link, so that it cannot be used for phishing a sign-in. */
export function passwordChangedMessage({ appName, username }: PasswordChangedFields): MailContent {
  const subject = `Your ${appName} password was changed`;
  const notice = `The password of your ${appName} account was just changed, and every session signed in with the old one has ended.`;
  const ifNotYou = `If you did not do this, reset your password at once from the ${appName} sign-in page ("Forgot password"), and tell whoever runs ${appName}.`;
  return letter({ appName, username, subject, paragraphs: [notice, ifNotYou] });
}

import { letter, type MailContent } from './html';

export interface EmailChangeNoticeFields {
  appName: string;
  username: string;
  /** Shown masked (j•••@example.com): the old address may no longer be the account holder's. */
  newEmail: string;
}

/** Sent to the old address when a change is asked for; no link, only what happened and what to do. */
export function emailChangeNoticeMessage({
  appName,
  username,
  newEmail,
}: EmailChangeNoticeFields): MailContent {
  const subject = `Your ${appName} email address is being changed`;
  const notice = `Your ${appName} account asked to change its email address to ${maskedEmail(newEmail)}. The change happens once the new address confirms it.`;
  const ifNotYou = `If you did not do this, sign in to ${appName} and change your password at once (or reset it from the sign-in page), and tell whoever runs ${appName}.`;
  return letter({ appName, username, subject, paragraphs: [notice, ifNotYou] });
}

/** The first character of the local part, then the domain: enough to recognise, not to write to. */
export function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '•••' : `${Array.from(email.slice(0, at))[0]}•••${email.slice(at)}`;
}

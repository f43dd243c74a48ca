import { letter, type MailContent } from './html';

export interface AccountDeletedFields {
  appName: string;
  username: string;
}

/** Sent when the owner deletes the account; no link, as there is nothing left to sign in to. */
export function accountDeletedMessage({ appName, username }: AccountDeletedFields): MailContent {
  const subject = `Your ${appName} account was deleted`;
  const notice = `Your ${appName} account and what it held were deleted at your request: its sessions ended, and its password and second factor no longer work.`;
  const ifNotYou = `If you did not do this, tell whoever runs ${appName} at once: whoever did it knew your password.`;
  return letter({ appName, username, subject, paragraphs: [notice, ifNotYou] });
}

import { letter, type MailContent } from './html';

export type PasskeyChange = 'added' | 'removed';

export interface PasskeyChangedFields {
  appName: string;
  username: string;
  change: PasskeyChange;
  /** The passkey's name, as its owner gave it. */
  passkey: string;
}

/** A passkey added to an account or removed from it; no link, so that it cannot be used for phishing a sign-in. */
export function passkeyChangedMessage({
  appName,
  username,
  change,
  passkey,
}: PasskeyChangedFields): MailContent {
  const subject =
    change === 'added'
      ? `A passkey was added to your ${appName} account`
      : `A passkey was removed from your ${appName} account`;
  const notice =
    change === 'added'
      ? `The passkey "${passkey}" can now sign in to your ${appName} account, with no password.`
      : `The passkey "${passkey}" no longer signs in to your ${appName} account.`;
  const ifNotYou = `If this was not you, reset your password at once from the ${appName} sign-in page ("Forgot password"), remove the passkeys you do not know, and tell whoever runs ${appName}.`;
  return letter({ appName, username, subject, paragraphs: [notice, ifNotYou] });
}

import { letter, type MailContent } from './html';

export type SecondFactorChange =
  'enabled' | 'disabled' | 'disabled-by-admin' | 'recovery-codes-renewed' | 'recovery-code-used';

export interface SecondFactorChangedFields {
  appName: string;
  username: string;
  change: SecondFactorChange;
  /** For recovery-code-used: how many codes are left. */
  left?: string;
}

const SUBJECTS: Record<SecondFactorChange, (appName: string) => string> = {
  enabled: (appName) => `Two-step sign-in is on for your ${appName} account`,
  disabled: (appName) => `Two-step sign-in was turned off for your ${appName} account`,
  'disabled-by-admin': (appName) => `Two-step sign-in was turned off for your ${appName} account`,
  'recovery-codes-renewed': (appName) => `New recovery codes for your ${appName} account`,
  'recovery-code-used': (appName) => `A recovery code was used to sign in to your ${appName} account`,
};

function noticeOf({ appName, change, left }: SecondFactorChangedFields): string {
  switch (change) {
    case 'enabled':
      return `Signing in to your ${appName} account now needs a code from your authenticator app (or one of your recovery codes) after the password.`;
    case 'disabled':
      return `The authenticator app and the recovery codes of your ${appName} account were removed: the password alone signs in again.`;
    case 'disabled-by-admin':
      return `An administrator of ${appName} removed the authenticator app and the recovery codes of your account: the password alone signs in again. Add a new authenticator app when you can.`;
    case 'recovery-codes-renewed':
      return `Your ${appName} account has a new set of recovery codes; the old ones no longer work.`;
    case 'recovery-code-used':
      return `One of your recovery codes was just used to sign in to your ${appName} account. ${left ?? 'Some'} of them are left.`;
  }
}

/** A change to the second factor of an account; no link, so that it cannot be used for phishing a sign-in. */
export function secondFactorChangedMessage(fields: SecondFactorChangedFields): MailContent {
  const { appName, username, change } = fields;
  const subject = SUBJECTS[change](appName);
  const notice = noticeOf(fields);
  const ifNotYou = `If this was not you, reset your password at once from the ${appName} sign-in page ("Forgot password"), and tell whoever runs ${appName}.`;
  return letter({ appName, username, subject, paragraphs: [notice, ifNotYou] });
}

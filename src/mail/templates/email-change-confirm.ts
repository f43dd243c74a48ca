import { letter, type MailContent, minutesInWords } from './html';

export interface EmailChangeConfirmFields {
  appName: string;
  username: string;
  /** The address being confirmed, which this message goes to. */
  newEmail: string;
  /** <APP_URL>/verify-email#token=…: the application reads the token and POSTs it. */
  link: string;
  /** How long the link works; unset: not said. */
  ttlMinutes?: number;
}

/** Sent to the new address; the change happens only when its link is used. */
export function emailChangeConfirmMessage({
  appName,
  username,
  newEmail,
  link,
  ttlMinutes,
}: EmailChangeConfirmFields): MailContent {
  const subject = `Confirm your new email address for ${appName}`;
  const ask =
    `Your ${appName} account asked to use ${newEmail} from now on. To confirm the change, open this link` +
    (ttlMinutes === undefined ? ':' : ` within ${minutesInWords(ttlMinutes)}:`);
  const ifNotYou = `If you did not ask for this, ignore this message: the account keeps its address.`;
  return letter({
    appName,
    username,
    subject,
    paragraphs: [ask, { label: 'Confirm my new email address', link }, ifNotYou],
  });
}

import { accountDeletedMessage } from './account-deleted';
import { emailChangeConfirmMessage } from './email-change-confirm';
import { emailChangeNoticeMessage, maskedEmail } from './email-change-notice';
import { emailVerificationMessage } from './email-verification';
import type { MailContent } from './html';
import { passkeyChangedMessage } from './passkey-changed';
import { passwordChangedMessage } from './password-changed';
import { passwordResetMessage } from './password-reset';
import { secondFactorChangedMessage } from './second-factor-changed';

// Fields no template may pass to HTML unescaped.
const HOSTILE = `<img src=x onerror="alert('x')">&`;
const HOSTILE_ESCAPED = '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;';
const LINK = 'https://app.example.com/reset-password#token=abc_DEF-123&x="y"';
const LINK_IN_HTML = 'https://app.example.com/reset-password#token=abc_DEF-123&amp;x=&quot;y&quot;';

const withLink: [string, (fields: { appName: string; username: string; link: string }) => MailContent][] = [
  ['password-reset', (fields) => passwordResetMessage({ ...fields, ttlMinutes: 60 })],
  ['email-verification', (fields) => emailVerificationMessage(fields)],
  ['email-change-confirm', (fields) => emailChangeConfirmMessage({ ...fields, newEmail: 'new@example.com' })],
];
const withoutLink: [string, (fields: { appName: string; username: string }) => MailContent][] = [
  ['password-changed', (fields) => passwordChangedMessage(fields)],
  ['account-deleted', (fields) => accountDeletedMessage(fields)],
  ['email-change-notice', (fields) => emailChangeNoticeMessage({ ...fields, newEmail: 'new@example.com' })],
  ...(
    ['enabled', 'disabled', 'disabled-by-admin', 'recovery-codes-renewed', 'recovery-code-used'] as const
  ).map((change): [string, (fields: { appName: string; username: string }) => MailContent] => [
    `second-factor-changed (${change})`,
    (fields) => secondFactorChangedMessage({ ...fields, change, left: '7' }),
  ]),
  ...(['added', 'removed'] as const).map(
    (change): [string, (fields: { appName: string; username: string }) => MailContent] => [
      `passkey-changed (${change})`,
      (fields) =>
        passkeyChangedMessage({
          ...fields,
          change,
          passkey: fields.username,
        }),
    ],
  ),
];
const every = [...withLink, ...withoutLink] as [
  string,
  (fields: { appName: string; username: string }) => MailContent,
][];

describe.each(every)('the %s message', (_name, make) => {
  const hostile = (make as (fields: object) => MailContent)({
    appName: HOSTILE,
    username: HOSTILE,
    link: LINK,
  });

  it('escapes every field in its HTML part and keeps them as they are in its text', () => {
    expect(hostile.html).not.toContain('<img');
    expect(hostile.html).toContain(HOSTILE_ESCAPED);
    expect(hostile.text).toContain(HOSTILE);
    expect(hostile.text).not.toContain('&lt;');
  });

  it('names the application in its subject, on one line', () => {
    const message = make({ appName: 'Example', username: 'alice' });
    expect(message.subject).toContain('Example');
    expect(message.subject).not.toMatch(/[\r\n]/);
  });

  it('greets the user in both parts', () => {
    const message = make({ appName: 'Example', username: 'alice' });
    expect(message.text).toMatch(/^Hello alice,\n/);
    expect(message.html).toContain('<p>Hello alice,</p>');
  });

  it('is a whole HTML document with no remote content', () => {
    const { html } = make({ appName: 'Example', username: 'alice' });
    expect(html).toMatch(/^<!doctype html>\n<html>[\s\S]*<\/html>\n$/);
    expect(html).not.toMatch(/<img|<script|<link|src=/i);
  });
});

describe.each(withLink)('the %s message', (_name, make) => {
  const message = make({ appName: 'Example', username: 'alice', link: LINK });

  it('carries the link in its text, on a line of its own', () => {
    expect(message.text.split('\n')).toContain(LINK);
  });

  it('carries the link in its HTML as a link and as text, escaped', () => {
    expect(message.html).toContain(`<a href="${LINK_IN_HTML}">`);
    expect(message.html.split(LINK_IN_HTML)).toHaveLength(3);
    expect(message.html).not.toContain(LINK);
  });
});

describe.each(withoutLink)('the %s message', (_name, make) => {
  const message = make({ appName: 'Example', username: 'alice' });

  it('carries no link at all', () => {
    for (const part of [message.text, message.html]) {
      expect(part).not.toMatch(/https?:|www\.|href|#token/i);
    }
  });
});

describe('the password-reset message', () => {
  it.each([
    [60, '1 hour'],
    [30, '30 minutes'],
    [1440, '24 hours'],
  ])('says the link works for %d minutes as %j', (ttlMinutes, words) => {
    const message = passwordResetMessage({ appName: 'Example', username: 'alice', link: LINK, ttlMinutes });
    expect(message.text).toContain(`within ${words}:`);
    expect(message.html).toContain(`within ${words}:`);
  });

  it('says to ignore it when the reset was not asked for', () => {
    const message = passwordResetMessage({
      appName: 'Example',
      username: 'alice',
      link: LINK,
      ttlMinutes: 60,
    });
    expect(message.subject).toBe('Reset your Example password');
    expect(message.text).toContain('If you did not ask for this, ignore this message');
  });
});

describe('the password-changed message', () => {
  it('tells the user to reset the password if it was not them', () => {
    const message = passwordChangedMessage({ appName: 'Example', username: 'alice' });
    expect(message.subject).toBe('Your Example password was changed');
    expect(message.text).toContain('If you did not do this, reset your password at once');
    expect(message.html).toContain('If you did not do this, reset your password at once');
  });
});

describe('the account-deleted message', () => {
  it('says the account is gone, and whom to tell if it was not the owner', () => {
    const message = accountDeletedMessage({ appName: 'Example', username: 'alice' });
    expect(message.subject).toBe('Your Example account was deleted');
    for (const part of [message.text, message.html]) {
      expect(part).toContain('were deleted at your request');
      expect(part).toContain('If you did not do this, tell whoever runs Example at once');
    }
  });
});

describe('the email-change messages', () => {
  it('name the new address in full to the new address, with how long the link works when told', () => {
    const message = emailChangeConfirmMessage({
      appName: 'Example',
      username: 'alice',
      newEmail: 'alice.new@example.com',
      link: LINK,
      ttlMinutes: 1440,
    });
    expect(message.text).toContain('to use alice.new@example.com from now on');
    expect(message.text).toContain('within 24 hours:');
  });

  it('mask the new address in the notice to the old one', () => {
    const message = emailChangeNoticeMessage({
      appName: 'Example',
      username: 'alice',
      newEmail: 'alice.new@example.com',
    });
    expect(message.text).toContain('to a•••@example.com.');
    expect(message.text).not.toContain('alice.new');
    expect(message.html).not.toContain('alice.new');
  });

  it.each([
    ['alice@example.com', 'a•••@example.com'],
    ['émile@exemple.fr', 'é•••@exemple.fr'],
    ['"a@b"@example.com', '"•••@example.com'],
    ['no-at-sign', '•••'],
  ])('mask %j as %j', (email, masked) => {
    expect(maskedEmail(email)).toBe(masked);
  });
});

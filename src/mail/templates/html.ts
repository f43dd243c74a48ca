/** What a template makes: a subject, and a plain-text and an HTML part that say the same. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML that shows it as it is, in an element or in a quoted attribute. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => ENTITIES[character]!);

/** HTML made by the `html` tag: its fields are escaped already, so it goes into other HTML as it is. */
export class Html {
  constructor(readonly markup: string) {}
}

/** A piece of HTML whose every field is escaped (a nested Html is kept as it is). */
export function html(strings: TemplateStringsArray, ...fields: (string | number | Html)[]): Html {
  return new Html(
    strings.reduce((markup, string, index) => {
      const field = fields[index - 1]!;
      return markup + (field instanceof Html ? field.markup : escapeHtml(String(field))) + string;
    }),
  );
}

/** A whole HTML part: a title and paragraphs, with no images or remote styles a mail client would fetch. */
export function htmlDocument(title: string, paragraphs: Html[]): string {
  const body = paragraphs.map((paragraph) => `<p>${paragraph.markup}</p>`).join('\n');
  return (
    `<!doctype html>\n<html>\n<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body style="font-family: sans-serif; line-height: 1.5">\n${body}\n</body>\n</html>\n`
  );
}

/** A link as a paragraph of its own, and its address in full for a client that shows no links. */
export const htmlLink = (label: string, link: string): Html[] => [
  html`<a href="${link}">${label}</a>`,
  html`Or open this address in your browser: ${link}`,
];

/** "30 minutes", "1 hour", "24 hours". */
export function minutesInWords(minutes: number): string {
  const [count, unit] = minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** A paragraph of a letter: text, or a link (its label, and the address for the text part). */
export type Paragraph = string | { label: string; link: string };

/**
 * A message as every template writes it: the greeting, its paragraphs, and the application's name, saying the same
 * in the text part and in the HTML part (where each field is escaped).
 */
export function letter({
  appName,
  username,
  subject,
  paragraphs,
}: {
  appName: string;
  username: string;
  subject: string;
  paragraphs: Paragraph[];
}): MailContent {
  const text = [
    `Hello ${username},`,
    ...paragraphs.map((paragraph) => (typeof paragraph === 'string' ? paragraph : paragraph.link)),
    appName,
  ].join('\n\n');
  return {
    subject,
    text,
    html: htmlDocument(subject, [
      html`Hello ${username},`,
      ...paragraphs.flatMap((paragraph) =>
        typeof paragraph === 'string' ? [html`${paragraph}`] : htmlLink(paragraph.label, paragraph.link),
      ),
      html`${appName}`,
    ]),
  };
}

import { isIP } from 'node:net';

/**
 * A cautious estimate of a secret's entropy in bits: its length times the Shannon entropy of its characters, or of
 * the steps between them when that is less (so 0123… counts as little as aaaa…), over its shortest repeating
 * unit (abab… counts as ab). It catches repeats, runs and few distinct characters ('a' × 32 and 0123… score 0,
 * 'changeme-' × 4 about 22), not words: it is no dictionary check, and a phrase or a keyboard row scores as much
 * as random output of its length (openssl rand -hex 16 about 115, -base64 32 about 215, -base64 48 about 330).
 */
export function estimatedEntropyBits(secret: string): number {
  let characters = Array.from(secret, (character) => character.codePointAt(0)!);
  const period = characters.findIndex(
    (_code, length) =>
      length > 0 &&
      length <= characters.length / 2 &&
      characters.every((code, index) => index < length || code === characters[index - length]),
  );
  if (period > 0) {
    characters = characters.slice(0, period);
  }
  const steps = characters.slice(1).map((code, index) => code - characters[index]!);
  return Math.min(shannonBits(characters), shannonBits(steps));
}

function shannonBits(symbols: number[]): number {
  const counts = new Map<number, number>();
  for (const symbol of symbols) {
    counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    bits -= count * Math.log2(count / symbols.length);
  }
  return bits;
}

/** INTROSPECTION_CLIENTS as [id, secret] pairs; a secret may hold colons. */
export function introspectionClients(setting: string | undefined): [string, string][] {
  return (setting ?? '')
    .split(',')
    .filter((pair) => pair.trim())
    .map((pair) => {
      const [id, ...secret] = pair.trim().split(':');
      return [id!, secret.join(':')];
    });
}
/** Browser origins (scheme, host and port: what an Origin header holds), comma-separated; no wildcard. */
export const isOriginList = (value: string): boolean =>
  value
    .split(',')
    .every((origin) => origin.trim() === '' || /^[a-z][a-z0-9+.-]*:\/\/[^\s/*?#@]+$/i.test(origin.trim()));

/** A hop count (1-9), or addresses, CIDRs and proxy-addr's names (loopback, linklocal, uniquelocal); never all. */
export function isTrustedProxySetting(value: string): boolean {
  if (/^\s*[1-9]\s*$/.test(value)) {
    return true;
  }
  return value.split(',').every((entry) => {
    const [address, bits, ...rest] = entry.trim().split('/');
    if (['loopback', 'linklocal', 'uniquelocal'].includes(address ?? '') && bits === undefined) {
      return true;
    }
    const version = isIP(address ?? '');
    if (version === 0 || rest.length > 0) {
      return false;
    }
    if (bits === undefined) {
      return true;
    }
    const prefix = Number(bits);
    // A prefix shorter than /8 (IPv4) or /16 (IPv6) trusts most of the internet.
    if (!/^\d+$/.test(bits) || prefix < (version === 4 ? 8 : 16) || prefix > (version === 4 ? 32 : 128)) {
      return false;
    }
    return version === 4 || !coversMostOfIPv4(ipv6Bits(address!), prefix);
  });
}

// IPv4 clients also meet IPv6 ranges in their mapped (::ffff:a.b.c.d) and compatible (::a.b.c.d) forms.
const IPV4_IN_IPV6_BLOCKS = [0xffffn << 32n, 0n];

/** Whether an IPv6 range holds more than a /8 of IPv4 through either form, as ::ffff:0:0/96 or ::/16 do. */
function coversMostOfIPv4(network: bigint, prefix: number): boolean {
  const hostBits = BigInt(128 - Math.min(prefix, 96));
  return prefix < 96 + 8 && IPV4_IN_IPV6_BLOCKS.some((block) => network >> hostBits === block >> hostBits);
}

/** The 128 bits of an address that isIP has found to be IPv6. */
function ipv6Bits(address: string): bigint {
  let text = address.replace(/%.*$/, '');
  const ipv4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const groups =
    tail === undefined
      ? groupsOf(head)
      : [
          ...groupsOf(head),
          ...Array<string>(8 - groupsOf(head).length - groupsOf(tail).length).fill('0'),
          ...groupsOf(tail),
        ];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(parseInt(group, 16)), 0n);
}

// The query options SMTP_URL may carry; nodemailer would read any option from the query, the transport among them.
export const SMTP_URL_OPTIONS = ['ignoreTLS', 'requireTLS'] as const;

/** smtp://[user:pass@]host[:port] or smtps://…, with no path and no query but SMTP_URL_OPTIONS set to true/false. */
export function isSmtpUrl(value: string): boolean {
  if (!URL.canParse(value)) {
    return false;
  }
  const url = new URL(value);
  return (
    (url.protocol === 'smtp:' || url.protocol === 'smtps:') &&
    url.hostname !== '' &&
    (url.pathname === '' || url.pathname === '/') &&
    url.hash === '' &&
    [...url.searchParams].every(
      ([key, option]) =>
        (SMTP_URL_OPTIONS as readonly string[]).includes(key) && (option === 'true' || option === 'false'),
    )
  );
}

/** An http(s) base URL links are built on: no credentials, query or fragment, which a path appended would break. */
export function isAppUrl(value: string): boolean {
  if (!URL.canParse(value)) {
    return false;
  }
  const url = new URL(value);
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !/[?#]/.test(value)
  );
}

/** A From header: an address, bare or after a display name in angle brackets; one line, so no header can follow. */
export const isMailbox = (value: string): boolean =>
  !/\p{Cc}/u.test(value) && /^(?:[^<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@"]+@[^\s<>@]+)$/.test(value.trim());

/** Text that goes into a header (a subject, a display name): printable, one line. */
export const isHeaderText = (value: string): boolean => !/\p{Cc}/u.test(value);

/** A WebAuthn RP ID: a lower-case host name (RFC 1123 labels), no port, no IP address. */
export const isRelyingPartyId = (value: string): boolean =>
  value.length <= 253 &&
  isIP(value) === 0 &&
  value.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label));

/**
 * What WebAuthn lets run a ceremony for `rpId`: an origin of that host or one under it, over https, or over http
 * on localhost (a secure context too). The problem with `origin`, or undefined.
 */
export function webAuthnOriginProblem(origin: string, rpId: string): string | undefined {
  if (!URL.canParse(origin)) {
    return `${origin} is not an origin such as https://app.example.com`;
  }
  const url = new URL(origin);
  if (url.origin !== origin) {
    return `${origin} is not an origin (scheme, host and port, nothing more: ${url.origin})`;
  }
  const isLocalhost = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalhost)) {
    return `${origin} must be https (http only on localhost)`;
  }
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
    return `${origin} is not on WEBAUTHN_RP_ID ${rpId} or a host under it`;
  }
  return undefined;
}

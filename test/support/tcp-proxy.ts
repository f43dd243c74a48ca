import { EventEmitter } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** For tests through the proxy: PGlite runs in-process, so they need a PostgreSQL server (DATABASE_URL, as CI sets). */
export const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

/** One client connection through the proxy and its upstream connection. */
export class ProxyLink {
  /** What the client sent, as latin1 text (the first 64 KiB): enough to tell which connection this is. */
  sent = '';
  isBlackHoled = false;
  private heldAnswers: Buffer[] | undefined;
  private heldQueries: Buffer[] | undefined;
  private onAnswerHeld: (() => void) | undefined;

  constructor(
    readonly client: Socket,
    readonly server: Socket,
    private readonly onSent: (link: ProxyLink, chunk: string) => void,
  ) {
    client.on('data', (chunk) => this.fromClient(chunk));
    server.on('data', (chunk) => this.fromServer(chunk));
    client.on('error', () => this.kill());
    server.on('error', () => this.kill());
    client.on('close', () => this.kill());
    server.on('close', () => this.kill());
  }

  get isOpen(): boolean {
    return !this.client.destroyed;
  }

  /** Stops forwarding either way, closing nothing: what a dead network looks like to both ends. */
  blackHole(): void {
    this.isBlackHoled = true;
  }

  kill(): void {
    this.client.destroy();
    this.server.destroy();
  }

  /** Holds what the server sends from now on; `onHeld` is called with the first of it. */
  holdAnswers(onHeld?: () => void): void {
    this.heldAnswers ??= [];
    this.onAnswerHeld = onHeld;
  }

  holdQueries(): void {
    this.heldQueries ??= [];
  }

  release(): void {
    const answers = this.heldAnswers ?? [];
    const queries = this.heldQueries ?? [];
    this.heldAnswers = this.heldQueries = undefined;
    for (const chunk of queries) {
      this.toServer(chunk);
    }
    for (const chunk of answers) {
      this.toClient(chunk);
    }
  }

  private fromClient(chunk: Buffer): void {
    const text = chunk.toString('latin1');
    if (this.sent.length < 65536) {
      this.sent += text;
    }
    this.onSent(this, text);
    if (this.heldQueries) {
      this.heldQueries.push(chunk);
    } else {
      this.toServer(chunk);
    }
  }

  private fromServer(chunk: Buffer): void {
    if (!this.heldAnswers) {
      return this.toClient(chunk);
    }
    this.heldAnswers.push(chunk);
    this.onAnswerHeld?.();
    this.onAnswerHeld = undefined;
  }

  private toServer(chunk: Buffer): void {
    if (!this.isBlackHoled && !this.server.destroyed) {
      this.server.write(chunk);
    }
  }

  private toClient(chunk: Buffer): void {
    if (!this.isBlackHoled && !this.client.destroyed) {
      this.client.write(chunk);
    }
  }
}

/**
 * Data held back by the proxy: `arrived` once the matching query has been sent (for a held answer: once that answer
 * is held), `release` lets it all through.
 */
export interface Hold {
  arrived: Promise<ProxyLink>;
  release(): void;
}

/**
 * A TCP proxy (to PostgreSQL, by default) that a test can break: black-hole a connection, hold back a query or
 * its answer, refuse or kill connections, and then let everything through again.
 */
export class TcpProxy {
  readonly links: ProxyLink[] = [];
  private readonly events = new EventEmitter();
  private isRefusing = false;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.onConnection(client));
  }

  static async start(target = { host: '127.0.0.1', port: 5432 }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, target);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  /** The newest open connection whose client has sent `text`. */
  linkThatSent(text: string): ProxyLink | undefined {
    return this.links.filter((link) => link.isOpen && link.sent.includes(text)).at(-1);
  }

  /** The first connection, other than those in `except`, whose client sends `text` (or has). */
  nextLinkThatSends(text: string, except: ProxyLink[] = []): Promise<ProxyLink> {
    const isMatch = (link: ProxyLink) => link.isOpen && !except.includes(link) && link.sent.includes(text);
    const found = this.links.find(isMatch);
    if (found) {
      return Promise.resolve(found);
    }
    return new Promise((resolve) => {
      const onSent = (link: ProxyLink) => {
        if (!isMatch(link)) {
          return;
        }
        this.events.off('sent', onSent);
        resolve(link);
      };
      this.events.on('sent', onSent);
    });
  }

  /** Holds back the client's data from its next chunk holding `text` (on any connection) until released. */
  holdQuery(text: string): Hold {
    return this.hold(text, (link) => link.holdQueries());
  }

  /** Holds back the server's answers to the next chunk holding `text` (on any connection) until released. */
  holdAnswer(text: string): Hold {
    // `arrived` once the server's answer is held, so the query has surely run before whatever the test does next.
    return this.hold(text, (link, arrive) => link.holdAnswers(arrive), { awaitsAnswer: true });
  }

  /** Closes every connection and each new one at once, as a stopped server does. */
  refuse(): void {
    this.isRefusing = true;
    for (const link of this.links) {
      link.kill();
    }
  }

  /** Forwards new connections again. */
  accept(): void {
    this.isRefusing = false;
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.kill();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: Socket): void {
    if (this.isRefusing) {
      client.destroy();
      return;
    }
    const server = connect(this.target.port, this.target.host);
    const link = new ProxyLink(client, server, (sender, chunk) => this.events.emit('sent', sender, chunk));
    this.links.push(link);
  }

  private hold(
    text: string,
    start: (link: ProxyLink, arrive: () => void) => void,
    { awaitsAnswer = false } = {},
  ): Hold {
    let held: ProxyLink | undefined;
    let isReleased = false;
    const arrived = new Promise<ProxyLink>((resolve) => {
      const onSent = (link: ProxyLink, chunk: string) => {
        if (!chunk.includes(text)) {
          return;
        }
        this.events.off('sent', onSent);
        held = link;
        if (isReleased || !awaitsAnswer) {
          resolve(link);
        }
        if (!isReleased) {
          start(link, () => resolve(link));
        }
      };
      // Registered first, so the hold starts before this chunk is forwarded.
      this.events.prependListener('sent', onSent);
    });
    return {
      arrived,
      release: () => {
        isReleased = true;
        held?.release();
      },
    };
  }
}

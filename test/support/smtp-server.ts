import type { Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** accept: 250 to every message; stall: hold each message's reply until the mode changes or the server stops; reject: 550. */
export type SmtpMode = 'accept' | 'stall' | 'reject';

export interface TestSmtpServer {
  port: number;
  /** For SMTP_URL: plain SMTP on 127.0.0.1, no STARTTLS, no AUTH. */
  url: string;
  /** Every message accepted (answered 250), in order of acceptance. */
  messages: ParsedMail[];
  /** MAIL FROM commands seen, in any mode: the delivery attempts that reached the server. */
  readonly attempts: number;
  /** Messages whose reply stall holds now. */
  readonly held: number;
  /**
   * Resolves with the `count`-th accepted message matching `predicate` (default 1), at once if it is there already.
   * Rejects after `timeoutMs` (default 20 s), as a guard against a test waiting forever, never as a wait.
   */
  waitForMessage(
    predicate?: (message: ParsedMail) => boolean,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<ParsedMail>;
  setMode(mode: SmtpMode): void;
  /** Closes the port and drops every connection at once: messages held by stall are not accepted. */
  stop(): Promise<void>;
  /** Listens again on the same port, in the mode it had. */
  start(): Promise<void>;
}

interface Held {
  session: string;
  raw: Buffer;
  reply: (error?: Error | null) => void;
}

interface Waiter {
  predicate: (message: ParsedMail) => boolean;
  count: number;
  resolve: (message: ParsedMail) => void;
}

const REJECTION = Object.assign(new Error('Mailbox unavailable (the test server rejects every message)'), {
  responseCode: 550,
});

/**
 * A real SMTP server on 127.0.0.1 for the tests (smtp-server), reading what arrives with mailparser. Port 0
 * (the default) takes a free one, which start() keeps after a stop().
 */
export async function startSmtpServer(
  options: { port?: number; mode?: SmtpMode } = {},
): Promise<TestSmtpServer> {
  let mode: SmtpMode = options.mode ?? 'accept';
  let port = options.port ?? 0;
  let attempts = 0;
  let server: SMTPServer | undefined;
  const sockets = new Set<Socket>();
  const messages: ParsedMail[] = [];
  const waiters = new Set<Waiter>();
  let held: Held[] = [];

  const accept = async (raw: Buffer): Promise<void> => {
    messages.push(await simpleParser(raw));
    for (const waiter of waiters) {
      const matching = messages.filter(waiter.predicate);
      if (matching.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve(matching[waiter.count - 1]!);
      }
    }
  };

  const reply = (message: Held): void => {
    if (mode === 'reject') {
      message.reply(REJECTION);
      return;
    }
    // Parsed before the 250, so a test that sees the sender's success finds the message there.
    accept(message.raw).then(
      () => message.reply(),
      (error: Error) => message.reply(error),
    );
  };

  const create = (): SMTPServer => {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onMailFrom(_address, _session, callback) {
        attempts += 1;
        callback(mode === 'reject' ? REJECTION : null);
      },
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const message = { session: session.id, raw: Buffer.concat(chunks), reply: callback };
          if (mode === 'stall') {
            held.push(message);
          } else {
            reply(message);
          }
        });
      },
      onClose(session) {
        // The client gave up (its own timeout): a held message it will send again is not accepted.
        held = held.filter((message) => message.session !== session.id);
      },
    });
    smtp.on('error', () => {
      // A client dropping its connection; the test sees the outcome on the client's side.
    });
    return smtp;
  };

  const start = async (): Promise<void> => {
    if (server) {
      return;
    }
    const smtp = create();
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(port, '127.0.0.1', () => {
        smtp.server.off('error', reject);
        resolve();
      });
    });
    smtp.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    port = (smtp.server.address() as { port: number }).port;
    server = smtp;
  };

  const stop = async (): Promise<void> => {
    const smtp = server;
    if (!smtp) {
      return;
    }
    server = undefined;
    held = [];
    const closed = new Promise<void>((resolve) => smtp.close(() => resolve()));
    for (const socket of sockets) {
      socket.destroy();
    }
    await closed;
  };

  await start();
  return {
    port,
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    get attempts() {
      return attempts;
    },
    get held() {
      return held.length;
    },
    waitForMessage(predicate = () => true, { count = 1, timeoutMs = 20_000 } = {}) {
      const matching = messages.filter(predicate);
      if (matching.length >= count) {
        return Promise.resolve(matching[count - 1]!);
      }
      return new Promise<ParsedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.filter(predicate).length;
          reject(
            new Error(
              `No message ${count} arrived within ${timeoutMs} ms (${seen} matching, ${messages.length} in all)`,
            ),
          );
        }, timeoutMs);
        const waiter: Waiter = {
          predicate,
          count,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        waiters.add(waiter);
      });
    },
    setMode(next) {
      mode = next;
      if (next !== 'stall') {
        const released = held;
        held = [];
        released.forEach(reply);
      }
    },
    stop,
    start,
  };
}

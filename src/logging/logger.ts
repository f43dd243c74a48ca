import { hostname } from 'node:os';
import pino, { type DestinationStream, type LogFn, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Config } from '../config/config';
import { REDACTED, REDACTED_PATHS } from './redaction';

/**
 * The service's one pino logger: JSON lines (time in ISO 8601, the level by name) or, in development, readable
 * ones, on stdout, with the secrets of REDACTED_PATHS replaced. Nest's Logger, the request lines, the audit events
 * and start:cluster's primary all write through it.
 */
export function createLogger(
  { format, level, isBuffered }: Config['logging'],
  destination: DestinationStream = isBuffered ? bufferedStdout() : process.stdout,
): Logger {
  return pino(
    {
      level,
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { logMethod: keepTrailingArguments },
    },
    format === 'pretty' ? prettyLines(destination) : destination,
  );
}

// Lines wait in memory for 4 kB, or for a second at most, and go out in one write: a write a line cost some
// 10 µs of a GET /users/me (bench:compare against 9d147f5: 47 µs of CPU a request, 40 buffered, 33 before).
const BUFFERED_BYTES = 4096;
const FLUSH_INTERVAL_MS = 1000;

function bufferedStdout(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: true, minLength: BUFFERED_BYTES });
  setInterval(() => stdout.flush(), FLUSH_INTERVAL_MS).unref();
  // Written with a write(2) of its own, not through the thread pool; what is left goes out as the process exits.
  process.once('exit', () => stdout.flushSync());
  return stdout;
}

/**
 * What Nest's Logger passes after the message (`logger.error(message, detail)`, when the detail is no stack trace)
 * reaches pino as more arguments, which it drops unless the message has a placeholder for them: they are written
 * on the message's next lines instead.
 */
function keepTrailingArguments(this: Logger, args: Parameters<LogFn>, write: LogFn): void {
  const [fields, message, ...more] = args as unknown[];
  if (more.length > 0 && typeof message === 'string' && !message.includes('%')) {
    return write.call(this, fields, [message, ...more.map(String)].join('\n'));
  }
  return write.apply(this, args);
}

/**
 * Each JSON line made readable as it is written, in the same call: pino-pretty's own stream would go through a
 * Transform, whose lines can still be on their way when the process exits.
 */
function prettyLines(destination: DestinationStream): DestinationStream {
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}

export interface RequestLine {
  reqId: string;
  method: string;
  route: string;
  status: number;
  responseTimeMs: number;
}

/**
 * Writes the one line of an answered request. As JSON it is the line pino would write for these fields (level,
 * time, pid, hostname, the fields, msg), put together here: through pino it cost some 10 µs of every request,
 * a quarter of a GET /users/me. The fields need no redaction and no escaping but the route's: the id is checked
 * (requestIdOf) or a UUID, the method an HTTP token, status and time numbers. Readable lines go through pino.
 */
export function requestLineWriter(
  logger: Logger,
  format: Config['logging']['format'],
): (line: RequestLine) => void {
  const message = 'request completed';
  if (format === 'pretty') {
    return (line) => logger[line.status >= 500 ? 'warn' : 'info'](line, message);
  }
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!;
  const base = `"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  return ({ reqId, method, route, status, responseTimeMs }) => {
    const level = status >= 500 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) {
      return;
    }
    stream.write(
      `{"level":"${level}","time":"${new Date().toISOString()}",${base},"reqId":"${reqId}","method":"${method}",` +
        `"route":${JSON.stringify(route)},"status":${status},"responseTimeMs":${responseTimeMs},"msg":"${message}"}\n`,
    );
  };
}

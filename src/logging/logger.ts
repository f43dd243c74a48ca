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
  { format, level }: Config['logging'],
  destination: DestinationStream = process.stdout,
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

// A mail server for the scripts that run the built service (test:cluster, the bench): plain SMTP on 127.0.0.1
// (smtp-server), each message read with mailparser and kept with its recipients, subject and link.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * Starts a receiver on a free port; `url` is for SMTP_URL and `messages` holds every message accepted, in order.
 * A message is accepted when its 250 is sent: hold() keeps every reply back until release(), and a message whose
 * sender's connection closed before its reply is dropped, as a real server drops it.
 */
export async function startSmtpReceiver() {
  const messages = [];
  const closed = new Set();
  let held = [];
  let isHolding = false;
  const accept = ({ session, message, reply }) => {
    if (!closed.has(session)) {
      messages.push(message);
      reply();
    }
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    // Its reverse DNS lookup of every sender would take more time than the delivery.
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map(({ address }) => address.toLowerCase());
      simpleParser(stream).then(
        (mail) => {
          const message = {
            recipients,
            subject: mail.subject ?? '',
            link: /\bhttps?:\/\/\S+#token=\S+/.exec(mail.text ?? '')?.[0],
          };
          const pending = { session: session.id, message, reply: callback };
          if (isHolding) {
            held.push(pending);
          } else {
            accept(pending);
          }
        },
        (error) => callback(error),
      );
    },
    onClose(session) {
      closed.add(session.id);
      held = held.filter((pending) => pending.session !== session.id);
    },
  });
  server.on('error', () => {
    // A sender dropping its connection (a killed instance): its message was never accepted.
  });
  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();
  const receiver = {
    port,
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    /** Messages whose reply is held now, each on a connection of its own. */
    get held() {
      return held.length;
    },
    hold() {
      isHolding = true;
    },
    release() {
      isHolding = false;
      const released = held;
      held = [];
      released.forEach(accept);
    },
    /** How many messages each key (say, the recipient) was accepted with, among those `filter` keeps. */
    countBy(key, filter = () => true) {
      const counts = new Map();
      for (const message of messages.filter(filter)) {
        counts.set(key(message), (counts.get(key(message)) ?? 0) + 1);
      }
      return counts;
    },
    stop() {
      receiver.release();
      return new Promise((resolve) => server.close(resolve));
    },
  };
  return receiver;
}

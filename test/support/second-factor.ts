import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generate } from 'otplib';
import type { Clock } from '../../src/common/clock';
import { createUser, http, signIn, type TestUser } from './factories';

/** The authenticator app's code for `secret` at the service's time, `offsetSeconds` away. */
export const totpCodeAt = (clock: Clock, secret: string, offsetSeconds = 0): Promise<string> =>
  generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSeconds });

export interface EnrolledUser extends TestUser {
  secret: string;
  recoveryCodes: string[];
  /** The session the enrolment was made in: signed in with the password alone (amr ["pwd"]). */
  accessToken: string;
}

/** A new user with a confirmed authenticator app, enrolled through the API, its code of the current step used. */
export async function enrolTotp(app: NestFastifyApplication, clock: Clock): Promise<EnrolledUser> {
  const user = await createUser(app);
  const { accessToken } = await signIn(app, user);
  const started = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
  if (started.status !== 200) {
    throw new Error(`enrolment failed: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const { secret } = started.body as { secret: string };
  const confirmed = await http(app)
    .post('/users/me/mfa/totp/confirm')
    .auth(accessToken, { type: 'bearer' })
    .send({ code: await totpCodeAt(clock, secret) });
  if (confirmed.status !== 200) {
    throw new Error(`confirmation failed: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  }
  return { ...user, secret, recoveryCodes: confirmed.body.recoveryCodes as string[], accessToken };
}

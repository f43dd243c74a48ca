import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigService } from '@nestjs/config';
import request from 'supertest';
import type { Config } from '../../src/config/config';
import { ADMIN } from './test-app';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
}

const unique = () => randomBytes(5).toString('hex');

export const http = (app: NestFastifyApplication) => request(app.getHttpServer());

/** Registers a user through POST /auth/register. */
export async function createUser(
  app: NestFastifyApplication,
  overrides: Partial<Omit<TestUser, 'id'>> & { fullName?: string } = {},
): Promise<TestUser> {
  const name = `user.${unique()}`;
  const input = {
    username: name,
    email: `${name}@example.com`,
    password: `pw-${unique()}-long`,
    ...overrides,
  };
  const res = await http(app).post('/auth/register').send(input);
  if (res.status !== 201) {
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { id: res.body.id, username: input.username, email: input.email, password: input.password };
}

/** Signs in through POST /auth/login. */
export async function signIn(
  app: NestFastifyApplication,
  user: { username: string; password: string },
): Promise<SignedIn> {
  const res = await http(app).post('/auth/login').send({ username: user.username, password: user.password });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
}

/** Signs in as the bootstrap admin of this app (its ADMIN_USERNAME may be its own). */
export const signInAsAdmin = (app: NestFastifyApplication) =>
  signIn(app, {
    ...ADMIN,
    username: app.get<ConfigService<Config, true>>(ConfigService).get('bootstrapAdmin', { infer: true })
      .username,
  });

/** A user holding the admin role, created by the bootstrap admin. */
export async function createAdmin(app: NestFastifyApplication): Promise<TestUser & SignedIn> {
  const { accessToken } = await signInAsAdmin(app);
  const name = `admin.${unique()}`;
  const input = {
    username: name,
    email: `${name}@example.com`,
    password: `pw-${unique()}-long`,
    roles: ['user', 'admin'],
  };
  const res = await http(app).post('/admin/users').auth(accessToken, { type: 'bearer' }).send(input);
  if (res.status !== 201) {
    throw new Error(`admin create failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const user = { id: res.body.id, username: name, email: input.email, password: input.password };
  return { ...user, ...(await signIn(app, user)) };
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createAdmin, createUser, http, signIn } from './support/factories';
import { describeOnPostgres, TcpProxy } from './support/tcp-proxy';
import { closeTestApp, createTestApp } from './support/test-app';

const LISTEN = 'LISTEN auth_state';
const FIND_SIGNED_IN = 'from "sessions" inner join "users"';

// The app reaches PostgreSQL through a proxy that can break its connections.

describeOnPostgres('the LISTEN connection behind a broken network', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  /** Another writer: straight to the app's database, past the proxy and the app. */
  let elsewhere: Client;

  beforeAll(async () => {
    proxy = await TcpProxy.start();
    let databaseUrl = '';
    app = await createTestApp(
      { AUTH_NOTICE_HEARTBEAT_MS: '300' },
      {
        databaseUrl: (url) => {
          databaseUrl = url;
          return proxy.url(url);
        },
      },
    );
    elsewhere = new Client({ connectionString: databaseUrl });
    await elsewhere.connect();
  });
  afterAll(async () => {
    await elsewhere?.end();
    await closeTestApp(app);
    await proxy?.close();
  });

  const profile = (token: string) => http(app).get('/users/me').auth(token, { type: 'bearer' });
  const revokeElsewhere = (userId: string) =>
    elsewhere.query('update sessions set revoked_at = now() where user_id = $1', [userId]);
  /** The LISTEN connection now, once there is one. */
  const listener = async () => {
    await proxy.nextLinkThatSends(LISTEN);
    return proxy.linkThatSent(LISTEN)!;
  };

  it('notices a LISTEN connection gone silent, stops serving from memory and listens anew', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    const silenced = await listener();
    silenced.blackHole();
    await revokeElsewhere(user.id);
    // A new LISTEN connection means the silent one was given up, and memory with it.
    await proxy.nextLinkThatSends(LISTEN, [silenced]);
    expect((await profile(accessToken)).status).toBe(401);
  });

  it('takes a role away while the LISTEN connection is silent, once it is given up', async () => {
    const admin = await createAdmin(app);
    const dashboard = () => http(app).get('/admin/dashboard').auth(admin.accessToken, { type: 'bearer' });
    expect((await dashboard()).status).toBe(200);
    const silenced = await listener();
    silenced.blackHole();
    await elsewhere.query(`update users set roles = '{user}' where id = $1`, [admin.id]);
    await proxy.nextLinkThatSends(LISTEN, [silenced]);
    expect((await dashboard()).status).toBe(403);
  });

  it('signs in and checks tokens from the database while not listening', async () => {
    const heldListen = proxy.holdQuery(LISTEN);
    (await listener()).kill();
    await heldListen.arrived;
    try {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      expect((await profile(accessToken)).status).toBe(200);
      await revokeElsewhere(user.id);
      expect((await profile(accessToken)).status).toBe(401);
    } finally {
      heldListen.release();
    }
  });

  it('keeps no read that was in flight while listening resumed', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    // Not listening: the new LISTEN is held before it reaches the server, so no notice can arrive.
    const heldListen = proxy.holdQuery(LISTEN);
    (await listener()).kill();
    const resumed = await heldListen.arrived;
    // A token check reads the session, live, and its answer is held back.
    const heldRead = proxy.holdAnswer(FIND_SIGNED_IN);
    const inFlight = profile(accessToken).then((res) => res.status);
    await heldRead.arrived;
    await revokeElsewhere(user.id);
    heldListen.release();
    // Heartbeats go out once listening.
    await proxy.nextLinkThatSends(
      'heartbeat:',
      proxy.links.filter((link) => link !== resumed),
    );
    heldRead.release();
    expect(await inFlight).toBe(200);
    expect((await profile(accessToken)).status).toBe(401);
  });
});

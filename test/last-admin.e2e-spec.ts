import { ConflictException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdminUsersService } from '../src/admin/admin-users.service';
import { createAdmin, http, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Its own app and database, so the bootstrap admin starts as the only admin.
describe('the last enabled admin', () => {
  let app: NestFastifyApplication;
  let root: { id: string; accessToken: string };

  beforeAll(async () => {
    app = await createTestApp();
    const { accessToken } = await signInAsAdmin(app);
    const me = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
    root = { id: me.body.id, accessToken };
  });
  afterAll(() => closeTestApp(app));

  const patch = (token: string, id: string, body: object) =>
    http(app).patch(`/admin/users/${id}`).auth(token, { type: 'bearer' }).send(body);
  const remove = (token: string, id: string) =>
    http(app).delete(`/admin/users/${id}`).auth(token, { type: 'bearer' });
  const conflict = { statusCode: 409, error: 'Conflict', message: expect.any(String) };

  it.each([
    ['demoted', { roles: ['user'] }],
    ['disabled', { disabled: true }],
  ])('cannot be %s (409), and stays an admin', async (_case, body) => {
    const res = await patch(root.accessToken, root.id, body);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(conflict);
    expect((await http(app).get('/admin/dashboard').auth(root.accessToken, { type: 'bearer' })).status).toBe(
      200,
    );
  });

  it('cannot be deleted (409)', async () => {
    const res = await remove(root.accessToken, root.id);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(conflict);
  });

  it('may change its own email and name', async () => {
    expect((await patch(root.accessToken, root.id, { fullName: 'Root' })).status).toBe(200);
  });

  it('is still protected when the only other admin is disabled', async () => {
    const other = await createAdmin(app);
    await patch(root.accessToken, other.id, { disabled: true }).expect(200);
    expect((await patch(root.accessToken, root.id, { roles: ['user'] })).status).toBe(409);
    await remove(root.accessToken, other.id).expect(204);
  });

  it('can step down once another enabled admin exists, who then becomes the last', async () => {
    const other = await createAdmin(app);
    expect((await patch(root.accessToken, root.id, { roles: ['user'] })).status).toBe(200);
    expect((await remove(other.accessToken, other.id)).status).toBe(409);
    expect((await patch(other.accessToken, other.id, { disabled: true })).status).toBe(409);
    await patch(other.accessToken, root.id, { roles: ['user', 'admin'] }).expect(200);
    root.accessToken = (await signInAsAdmin(app)).accessToken;
    await remove(root.accessToken, other.id).expect(204);
  });

  it('survives two admins demoting each other over HTTP at the same moment: exactly one admin is left', async () => {
    const other = await createAdmin(app);
    const [first, second] = await Promise.all([
      patch(root.accessToken, other.id, { roles: ['user'] }),
      patch(other.accessToken, root.id, { roles: ['user'] }),
    ]);
    // The loser is refused either by the roles guard (already demoted: 403) or by the last-admin rule (409).
    const statuses = [first.status, second.status].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const winner = first.status === 200 ? root : other;
    const dashboard = await http(app).get('/admin/dashboard').auth(winner.accessToken, { type: 'bearer' });
    expect(dashboard.body.stats.admins).toBe(1);
    await restoreRoot(winner);
  });

  it('settles concurrent demotions in the database: of two at once, one is refused', async () => {
    const other = await createAdmin(app);
    const adminUsers = app.get(AdminUsersService);
    const results = await Promise.allSettled([
      adminUsers.update(other.id, { roles: ['user'] }, { id: root.id, client: {} }),
      adminUsers.update(root.id, { roles: ['user'] }, { id: other.id, client: {} }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((result) => result.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(ConflictException);
    await restoreRoot(results[1].status === 'fulfilled' ? other : root);
  });

  /** Makes the bootstrap admin an admin again, whoever won, and removes the other. */
  async function restoreRoot(winner: { id: string; accessToken: string }) {
    if (winner.id !== root.id) {
      await patch(winner.accessToken, root.id, { roles: ['user', 'admin'] }).expect(200);
      root.accessToken = (await signInAsAdmin(app)).accessToken;
      await remove(root.accessToken, winner.id).expect(204);
    }
  }
});

import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ListUsersQuery } from './list-users.query';

/** The query as ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }) turns it out. */
async function read(plain: Record<string, string>): Promise<{ query: ListUsersQuery; refused: string[] }> {
  const query = plainToInstance(ListUsersQuery, plain);
  const errors = await validate(query, { whitelist: true, forbidNonWhitelisted: true });
  return { query, refused: errors.map((error) => error.property) };
}

describe('ListUsersQuery', () => {
  it('starts at page 1 with 20 users a page', async () => {
    const { query, refused } = await read({});
    expect(refused).toEqual([]);
    expect(query).toBeInstanceOf(ListUsersQuery);
    expect({ ...query }).toEqual({ page: 1, limit: 20 });
  });

  it('turns the strings of a query string into numbers', async () => {
    const { query, refused } = await read({ page: '2', limit: '100', q: 'jo' });
    expect(refused).toEqual([]);
    expect({ ...query }).toEqual({ page: 2, limit: 100, q: 'jo' });
  });

  it.each([
    ['limit', '101'],
    ['limit', '0'],
    ['limit', 'ten'],
    ['limit', '1.5'],
    ['limit', ''],
    ['page', '0'],
    ['page', '-1'],
    ['page', '1000001'],
    ['page', 'first'],
    ['q', 'x'.repeat(101)],
    ['q', 'jo\0'],
    ['sort', 'username'],
  ])('refuses %s=%j', async (name, value) => {
    expect((await read({ [name]: value })).refused).toEqual([name]);
  });
});

// A throw-away PostgreSQL database for the scripts that need one (bench, test:cluster), on the server of
// DATABASE_URL or the local one.
import pg from 'pg';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `<prefix>_<pid>`; resolves to its URL and a drop() that removes it, connections and all. */
export async function freshDatabase(prefix) {
  const name = `${prefix}_${process.pid}`;
  await withClient(serverUrl, (client) => client.query(`create database ${name}`));
  return {
    url: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString(),
    drop: () =>
      withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)),
  };
}

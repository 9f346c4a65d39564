// REST settings per project: the admin API changes one project's exposed
// schemas and max_rows; supabase-js sees the change at once, and the
// default project keeps the platform's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import ws from 'ws';
import { createClient } from '@supabase/supabase-js';
import { url, client } from '../lib/env.mjs';

async function admin(method, path, body) {
  const r = await fetch(`${url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${process.env.MOBO_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  return { status: r.status, json };
}

async function projectSQL(database, text) {
  const u = new URL(process.env.MOBO_DB_URL);
  u.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

test('REST settings per project: exposed schemas and max_rows', async () => {
  const created = await admin('POST', '/projects', { ref: 'e2e-rest-conf', name: 'REST settings' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const p = created.json;
  try {
    await projectSQL(p.database, `create schema api; grant usage on schema api to anon;
      create table api.things (id int primary key, name text); grant select on api.things to anon;
      insert into api.things select g, 'thing ' || g from generate_series(1, 5) g`);
    const patched = await admin('PATCH', `/projects/${p.ref}/rest`, { schemas: ['public', 'api'], max_rows: 2 });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.deepEqual(patched.json.overrides, { schemas: ['public', 'api'], max_rows: 2 });
    assert.deepEqual(patched.json.effective.schemas, ['public', 'api']);

    const c = createClient(`${url}/p/${p.ref}`, p.anon_key, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws },
    });
    const things = await c.schema('api').from('things').select('id').order('id');
    assert.equal(things.error, null);
    assert.deepEqual(things.data, [{ id: 1 }, { id: 2 }]);

    // The default project exposes public alone.
    const other = await client().schema('api').from('things').select('id');
    assert.equal(other.error?.code, 'PGRST106');

    // A bad setting is refused and changes nothing.
    const bad = await admin('PATCH', `/projects/${p.ref}/rest`, { max_rows: -1 });
    assert.equal(bad.status, 400);
    const shown = await admin('GET', `/projects/${p.ref}/rest`);
    assert.equal(shown.json.effective.max_rows, 2);

    // Back to the platform default.
    const reset = await admin('PATCH', `/projects/${p.ref}/rest`, { schemas: null, max_rows: null });
    assert.deepEqual(reset.json.overrides, {});
    const gone = await c.schema('api').from('things').select('id');
    assert.equal(gone.error?.code, 'PGRST106');
  } finally {
    await admin('DELETE', `/projects/${p.ref}?confirm=${p.ref}&dump=false`);
  }
});

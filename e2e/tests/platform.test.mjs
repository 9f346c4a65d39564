// The platform itself: health endpoints and the keys the banner prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, sql } from '../lib/env.mjs';

const url = process.env.MOBO_URL;

function claims(jwt) {
  const [, payload] = jwt.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString());
}

test('readyz and healthz answer', async () => {
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready' });
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  assert.ok(health.headers.get('x-request-id'), 'every response carries a request id');
});

test('the banner keys are Supabase-style role JWTs', () => {
  assert.equal(claims(process.env.MOBO_ANON_KEY).role, 'anon');
  assert.equal(claims(process.env.MOBO_SERVICE_KEY).role, 'service_role');
});

test('supabase-js accepts the URL and the anon key', () => {
  const supabase = client();
  assert.equal(typeof supabase.from, 'function');
  assert.equal(typeof supabase.auth.getSession, 'function');
});

test('the admin API refuses a request without the admin key', async () => {
  const r = await fetch(`${url}/admin/v1/status`);
  assert.equal(r.status, 401);
  const body = await r.json();
  assert.equal(body.code, 'unauthorized');
});

test('the default project database has the Supabase roles and auth helpers', async () => {
  const { rows } = await sql(`select rolname from pg_roles where rolname = any($1) order by 1`, [['anon', 'authenticated', 'authenticator', 'service_role']]);
  assert.deepEqual(rows.map((r) => r.rolname), ['anon', 'authenticated', 'authenticator', 'service_role']);
  const { rows: [uid] } = await sql(`select set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000001"}', false), auth.uid()::text as uid`);
  assert.equal(uid.uid, '00000000-0000-0000-0000-000000000001');
});

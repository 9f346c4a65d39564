// RPC through the real supabase-js: PostgREST's rules for a function with a
// single unnamed json parameter and for overloaded functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, sql, serviceKey } from '../lib/env.mjs';

const service = client(serviceKey);

// until polls fn's call until it stops answering PGRST202 (the schema cache
// reloads after DDL, asynchronously) and returns the answer.
async function until(fn, args) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await service.rpc(fn, args);
    if (res.error?.code !== 'PGRST202' || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('rpc: a single unnamed json parameter gets the whole body', async () => {
  await sql(`create or replace function public.e2e_echo_json(json) returns json language sql as $$ select $1 $$;
    create or replace function public.e2e_echo_jsonb(jsonb) returns jsonb language sql as $$ select $1 || '{"seen": true}' $$;`);
  const body = { a: 1, nested: { b: [1, 2] }, s: 'x' };
  const res = await until('e2e_echo_json', body);
  assert.ifError(res.error);
  assert.deepEqual(res.data, body);
  const res2 = await until('e2e_echo_jsonb', body);
  assert.ifError(res2.error);
  assert.deepEqual(res2.data, { ...body, seen: true });
});

test('rpc: overloaded functions the arguments cannot tell apart are PGRST203', async () => {
  await sql(`create or replace function public.e2e_over(a int) returns text language sql as $$ select 'int' $$;
    create or replace function public.e2e_over(a text) returns text language sql as $$ select 'text' $$;`);
  const res = await until('e2e_over', { a: 1 });
  assert.equal(res.error?.code, 'PGRST203', JSON.stringify(res));
  assert.equal(res.status, 300);
  assert.match(res.error.message, /Could not choose the best candidate function/);
});

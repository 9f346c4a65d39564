// Realtime with the real supabase-js: postgres_changes, broadcast and
// presence over mobo's websocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, sql } from '../lib/env.mjs';

const deadline = 15000;

// waitFor resolves with the first value check returns truthy for, polling.
function waitFor(what, check) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      const v = check();
      if (v) return resolve(v);
      if (Date.now() - start > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function subscribed(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

test('postgres_changes: an insert through SQL reaches the subscriber', async () => {
  const table = `rt_notes_${Date.now()}`;
  await sql(`create table public.${table} (id bigserial primary key, body text not null, n int)`);
  await sql(`grant select on public.${table} to anon, authenticated`);
  await sql(`alter publication supabase_realtime add table public.${table}`);
  const supabase = client();
  const got = [];
  const channel = supabase
    .channel(`notes-${table}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table }, (payload) => got.push(payload))
    .on('postgres_changes', { event: 'UPDATE', schema: 'public', table, filter: 'n=gt.5' }, (payload) => got.push(payload));
  try {
    await subscribed(channel);
    await sql(`insert into public.${table} (body, n) values ($1, 1)`, ['hello realtime']);
    const ins = await waitFor('the insert', () => got.find((p) => p.eventType === 'INSERT'));
    assert.equal(ins.schema, 'public');
    assert.equal(ins.table, table);
    assert.equal(ins.new.body, 'hello realtime');
    assert.equal(typeof ins.new.id, 'number');
    assert.ok(ins.commit_timestamp);
    await sql(`update public.${table} set n = 2`); // filtered out
    await sql(`update public.${table} set n = 7`);
    const upd = await waitFor('the filtered update', () => got.find((p) => p.eventType === 'UPDATE'));
    assert.equal(upd.new.n, 7);
    assert.equal(got.filter((p) => p.eventType === 'UPDATE').length, 1);
  } finally {
    await supabase.removeChannel(channel);
    await sql(`drop table public.${table}`);
  }
});

test('postgres_changes: select keeps the chosen columns and the primary key', async () => {
  const table = `rt_sel_${Date.now()}`;
  await sql(`create table public.${table} (id bigserial primary key, body text not null, secret text)`);
  await sql(`grant select on public.${table} to anon, authenticated`);
  await sql(`alter publication supabase_realtime add table public.${table}`);
  const supabase = client();
  const got = [];
  const channel = supabase
    .channel(`sel-${table}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table, select: ['body'] }, (payload) => got.push(payload));
  try {
    await subscribed(channel);
    await sql(`insert into public.${table} (body, secret) values ($1, $2)`, ['shown', 'not sent']);
    const ins = await waitFor('the insert', () => got[0]);
    assert.deepEqual(Object.keys(ins.new).sort(), ['body', 'id']);
    assert.equal(ins.new.body, 'shown');
    assert.equal(typeof ins.new.id, 'number');
  } finally {
    await supabase.removeChannel(channel);
    await sql(`drop table public.${table}`);
  }
});

test('broadcast and presence between two clients', async () => {
  const room = `room-${Date.now()}`;
  const a = client();
  const b = client();
  const heard = [];
  const chA = a.channel(room, { config: { broadcast: { ack: true }, presence: { key: 'alice' } } });
  const chB = b
    .channel(room, { config: { presence: { key: 'bob' } } })
    .on('broadcast', { event: 'wave' }, (msg) => heard.push(msg))
    .on('presence', { event: 'sync' }, () => {});
  chA.on('presence', { event: 'sync' }, () => {});
  try {
    await subscribed(chB);
    await subscribed(chA);
    assert.equal(await chA.send({ type: 'broadcast', event: 'wave', payload: { from: 'alice' } }), 'ok');
    const msg = await waitFor('the broadcast', () => heard[0]);
    assert.equal(msg.event, 'wave');
    assert.deepEqual(msg.payload, { from: 'alice' });

    assert.equal(await chA.track({ mood: 'happy' }), 'ok');
    const state = await waitFor('alice in bob\'s presence state', () => chB.presenceState().alice);
    assert.equal(state[0].mood, 'happy');
    await chA.untrack();
    await waitFor('alice gone from bob\'s presence state', () => !chB.presenceState().alice);
  } finally {
    await a.removeAllChannels();
    await b.removeAllChannels();
  }
});

test('broadcast from the database reaches a private channel (realtime.send and broadcast_changes)', async () => {
  const topic = `db-room-${Date.now()}`;
  const table = `rt_db_${Date.now()}`;
  await sql(`create policy "${topic} read" on realtime.messages for select to authenticated using (realtime.topic() = '${topic}');
    create table public.${table} (id bigserial primary key, body text);
    create function public.${table}_changes() returns trigger language plpgsql security definer as $$
    begin
      perform realtime.broadcast_changes('${topic}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
      return null;
    end $$;
    create trigger ${table}_changes after insert on public.${table} for each row execute function public.${table}_changes();`);
  const supabase = client();
  const { error } = await supabase.auth.signUp({ email: `rt-${Date.now()}@example.com`, password: 'password-1' });
  assert.ifError(error);
  await supabase.realtime.setAuth();
  const got = [];
  const channel = supabase
    .channel(topic, { config: { private: true } })
    .on('broadcast', { event: 'hello' }, (m) => got.push(m))
    .on('broadcast', { event: 'INSERT' }, (m) => got.push(m));
  try {
    await subscribed(channel);
    await sql(`select realtime.send($1::jsonb, 'hello', $2, true)`, [JSON.stringify({ n: 1 }), topic]);
    const hello = await waitFor('realtime.send', () => got.find((m) => m.event === 'hello'));
    assert.equal(hello.payload.n, 1);
    await sql(`insert into public.${table} (body) values ('from a trigger')`);
    const ins = await waitFor('broadcast_changes', () => got.find((m) => m.event === 'INSERT'));
    assert.equal(ins.payload.operation, 'INSERT');
    assert.equal(ins.payload.table, table);
    assert.equal(ins.payload.record.body, 'from a trigger');
    assert.equal(ins.payload.old_record, null);
  } finally {
    await supabase.removeChannel(channel);
    await sql(`drop table public.${table}; drop function public.${table}_changes(); drop policy "${topic} read" on realtime.messages`);
  }
});

// The REST API through the real supabase-js: /rest/v1 speaks PostgREST.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { client, sql, serviceKey } from '../lib/env.mjs';

const url = process.env.MOBO_URL;
const anon = client();
const service = client(serviceKey);

// waitFor polls until the schema cache sees a relation: the event trigger
// reloads it after DDL, asynchronously.
async function waitFor(table, sb = service) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { error } = await sb.from(table).select('*').limit(0);
    if (!error) return;
    if (error.code !== 'PGRST205' || Date.now() > deadline) throw new Error(`${table}: ${JSON.stringify(error)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitForFunction(fn, args) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { error } = await service.rpc(fn, args);
    if (!error || error.code !== 'PGRST202') return;
    if (Date.now() > deadline) throw new Error(`${fn}: ${JSON.stringify(error)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  await sql(`
    drop table if exists e2e_book_tags, e2e_tags, e2e_books, e2e_authors cascade;
    create table e2e_authors (id serial primary key, name text not null, country text);
    create table e2e_books (
      id serial primary key, title text not null, author_id int references e2e_authors(id),
      year int, pages int, tags text[] not null default '{}', meta jsonb, in_print bool not null default true,
      fts tsvector generated always as (to_tsvector('english', title)) stored, span int4range
    );
    create table e2e_tags (id serial primary key, name text unique not null);
    create table e2e_book_tags (book_id int references e2e_books(id) on delete cascade, tag_id int references e2e_tags(id), primary key (book_id, tag_id));
    insert into e2e_authors (name, country) values ('Ursula K. Le Guin', 'US'), ('Stanislaw Lem', 'PL'), ('Octavia Butler', null);
    insert into e2e_books (title, author_id, year, pages, tags, meta, span) values
      ('The Dispossessed', 1, 1974, 387, '{scifi,utopia}', '{"series": {"name": "Hainish"}, "rating": 5}', '[1,10)'),
      ('The Left Hand of Darkness', 1, 1969, 304, '{scifi}', '{"series": {"name": "Hainish"}, "rating": 4}', '[5,15)'),
      ('Solaris', 2, 1961, 204, '{scifi,classic}', '{"rating": 5}', '[20,30)'),
      ('Kindred', 3, 1979, 264, '{}', null, null);
    insert into e2e_tags (name) values ('award'), ('favourite');
    insert into e2e_book_tags values (1, 1), (1, 2), (3, 2);
    create or replace function e2e_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
    create or replace function e2e_books_since(y int) returns setof e2e_books language sql stable as $$ select * from e2e_books where year >= y $$;
    create or replace function e2e_fail() returns void language plpgsql as $$ begin raise exception 'nope' using detail = 'some detail', hint = 'some hint'; end $$;
  `);
  await waitFor('e2e_book_tags');
  await waitForFunction('e2e_add', { a: 1, b: 1 });
});

test('select with many-to-one, one-to-many and many-to-many embeds', async () => {
  const { data, error } = await anon
    .from('e2e_books')
    .select('title, author:e2e_authors(name), e2e_tags(name)')
    .eq('id', 1)
    .order('name', { referencedTable: 'e2e_tags' });
  assert.equal(error, null);
  assert.deepEqual(data, [{ title: 'The Dispossessed', author: { name: 'Ursula K. Le Guin' }, e2e_tags: [{ name: 'award' }, { name: 'favourite' }] }]);

  const { data: authors } = await anon.from('e2e_authors').select('name, e2e_books(title)').eq('id', 2);
  assert.deepEqual(authors, [{ name: 'Stanislaw Lem', e2e_books: [{ title: 'Solaris' }] }]);

  const { data: counted } = await anon.from('e2e_authors').select('name, e2e_books(count)').eq('id', 1);
  assert.deepEqual(counted, [{ name: 'Ursula K. Le Guin', e2e_books: [{ count: 2 }] }]);

  const { data: spread } = await anon.from('e2e_books').select('title, ...e2e_authors(author:name)').eq('id', 3);
  assert.deepEqual(spread, [{ title: 'Solaris', author: 'Stanislaw Lem' }]);

  const { data: inner } = await anon.from('e2e_authors').select('name, e2e_books!inner(title)').eq('e2e_books.year', 1979);
  assert.deepEqual(inner, [{ name: 'Octavia Butler', e2e_books: [{ title: 'Kindred' }] }]);
});

test('every filter family', async () => {
  const ids = async (q) => {
    const { data, error } = await q.order('id');
    assert.equal(error, null, JSON.stringify(error));
    return data.map((r) => r.id);
  };
  const b = () => anon.from('e2e_books').select('id');
  assert.deepEqual(await ids(b().eq('year', 1974)), [1]);
  assert.deepEqual(await ids(b().neq('year', 1974)), [2, 3, 4]);
  assert.deepEqual(await ids(b().gt('pages', 300)), [1, 2]);
  assert.deepEqual(await ids(b().gte('pages', 304).lt('pages', 387)), [2]);
  assert.deepEqual(await ids(b().lte('year', 1961)), [3]);
  assert.deepEqual(await ids(b().like('title', '%Dark%')), [2]);
  assert.deepEqual(await ids(b().ilike('title', 'the%')), [1, 2]);
  assert.deepEqual(await ids(b().in('id', [2, 4])), [2, 4]);
  assert.deepEqual(await ids(b().is('meta', null)), [4]);
  assert.deepEqual(await ids(b().not('meta', 'is', null)), [1, 2, 3]);
  assert.deepEqual(await ids(b().contains('tags', ['scifi', 'classic'])), [3]);
  assert.deepEqual(await ids(b().containedBy('tags', ['scifi', 'utopia'])), [1, 2, 4]);
  assert.deepEqual(await ids(b().overlaps('tags', ['utopia', 'classic'])), [1, 3]);
  assert.deepEqual(await ids(b().contains('meta', { rating: 5 })), [1, 3]);
  assert.deepEqual(await ids(b().textSearch('fts', 'darkness')), [2]);
  assert.deepEqual(await ids(b().textSearch('fts', 'left hand', { type: 'plain', config: 'english' })), [2]);
  assert.deepEqual(await ids(b().textSearch('fts', 'left hand', { type: 'phrase' })), [2]);
  assert.deepEqual(await ids(b().textSearch('fts', 'solaris or kindred', { type: 'websearch' })), [3, 4]);
  assert.deepEqual(await ids(b().rangeGt('span', '[1,5)')), [2, 3]);
  assert.deepEqual(await ids(b().rangeLt('span', '[12,13)')), [1]);
  assert.deepEqual(await ids(b().rangeGte('span', '[5,6)')), [2, 3]);
  assert.deepEqual(await ids(b().rangeLte('span', '[1,11)')), [1]);
  assert.deepEqual(await ids(b().rangeAdjacent('span', '[15,20)')), [2, 3]);
  assert.deepEqual(await ids(b().match({ author_id: 1, year: 1969 })), [2]);
  assert.deepEqual(await ids(b().or('year.lt.1965,and(pages.gt.380,in_print.is.true)')), [1, 3]);
  assert.deepEqual(await ids(b().filter('meta->series->>name', 'eq', 'Hainish')), [1, 2]);
  assert.deepEqual(await ids(b().not('id', 'in', '(1,2)')), [3, 4]);
  assert.deepEqual(await ids(b().isDistinct('author_id', 1)), [3, 4]);
});

test('json paths, renames and casts in select', async () => {
  const { data, error } = await anon.from('e2e_books').select('id, series:meta->series->>name, rating:meta->rating, year_text:year::text').eq('id', 1);
  assert.equal(error, null);
  assert.deepEqual(data, [{ id: 1, series: 'Hainish', rating: 5, year_text: '1974' }]);
});

test('order, range and count', async () => {
  const { data, count, error, status } = await anon
    .from('e2e_books').select('title', { count: 'exact' }).order('year', { ascending: false }).range(1, 2);
  assert.equal(error, null);
  assert.equal(status, 206);
  assert.equal(count, 4);
  assert.deepEqual(data.map((r) => r.title), ['The Dispossessed', 'The Left Hand of Darkness']);

  const head = await anon.from('e2e_books').select('*', { count: 'exact', head: true }).eq('author_id', 1);
  assert.equal(head.count, 2);
  assert.equal(head.data, null);

  const nulls = await anon.from('e2e_authors').select('country').order('country', { ascending: true, nullsFirst: true }).limit(2);
  assert.deepEqual(nulls.data, [{ country: null }, { country: 'PL' }]);
});

test('single and maybeSingle', async () => {
  const one = await anon.from('e2e_authors').select('name').eq('id', 2).single();
  assert.deepEqual(one.data, { name: 'Stanislaw Lem' });
  const many = await anon.from('e2e_authors').select('name').single();
  assert.equal(many.status, 406);
  assert.equal(many.error.code, 'PGRST116');
  assert.equal(many.error.details, 'The result contains 3 rows');
  const none = await anon.from('e2e_authors').select('name').eq('id', 99).maybeSingle();
  assert.equal(none.error, null);
  assert.equal(none.data, null);
});

test('insert, upsert, update and delete', async () => {
  const ins = await service.from('e2e_tags').insert({ name: 'new' }).select().single();
  assert.equal(ins.error, null);
  assert.equal(ins.status, 201);
  assert.equal(ins.data.name, 'new');

  const many = await service.from('e2e_tags').insert([{ name: 'x1' }, { name: 'x2' }]).select('name');
  assert.deepEqual(many.data, [{ name: 'x1' }, { name: 'x2' }]);

  const minimal = await service.from('e2e_tags').insert({ name: 'quiet' });
  assert.equal(minimal.error, null);
  assert.equal(minimal.status, 201);
  assert.equal(minimal.data, null);

  const dflt = await service.from('e2e_books').insert([{ title: 'Ubik', author_id: 2 }], { defaultToNull: false }).select('title, in_print, tags');
  assert.deepEqual(dflt.data, [{ title: 'Ubik', in_print: true, tags: [] }]);

  const up = await service.from('e2e_tags').upsert([{ name: 'new' }, { name: 'fresh' }], { onConflict: 'name' }).select('name');
  assert.equal(up.error, null);
  assert.equal(up.status, 201); // 'fresh' was inserted
  assert.deepEqual(up.data.map((r) => r.name).sort(), ['fresh', 'new']);

  const merged = await service.from('e2e_tags').upsert({ name: 'fresh' }, { onConflict: 'name' }).select('name');
  assert.equal(merged.error, null);
  assert.equal(merged.status, 200); // only merged: PostgREST's 200

  const ign = await service.from('e2e_tags').upsert({ name: 'new' }, { onConflict: 'name', ignoreDuplicates: true }).select();
  assert.deepEqual(ign.data, []);

  const upd = await service.from('e2e_books').update({ pages: 250 }).eq('title', 'Ubik').select('title, pages');
  assert.deepEqual(upd.data, [{ title: 'Ubik', pages: 250 }]);

  const cnt = await service.from('e2e_books').update({ in_print: false }, { count: 'exact' }).eq('title', 'Ubik');
  assert.equal(cnt.error, null);
  assert.equal(cnt.count, 1);

  const del = await service.from('e2e_books').delete().eq('title', 'Ubik').select('title');
  assert.deepEqual(del.data, [{ title: 'Ubik' }]);
  const gone = await service.from('e2e_books').select('id').eq('title', 'Ubik');
  assert.deepEqual(gone.data, []);
});

test('rpc by POST and GET, set-returning results filtered', async () => {
  const sum = await anon.rpc('e2e_add', { a: 2, b: 3 });
  assert.equal(sum.error, null);
  assert.equal(sum.data, 5);
  const get = await anon.rpc('e2e_add', { a: 4, b: 4 }, { get: true });
  assert.equal(get.data, 8);
  const set = await anon.rpc('e2e_books_since', { y: 1970 }).select('title').order('year').lt('pages', 300);
  assert.equal(set.error, null);
  assert.deepEqual(set.data, [{ title: 'Kindred' }]);
  const count = await anon.rpc('e2e_books_since', { y: 1900 }, { count: 'exact' }).select('id').limit(1);
  assert.equal(count.count, 4);
});

test('csv', async () => {
  const { data, error } = await anon.from('e2e_authors').select('id,name,country').order('id').csv();
  assert.equal(error, null);
  // PostgREST's CSV rows are PostgreSQL's record text output: a field with
  // white space (or a comma, quote, backslash, parenthesis) is quoted.
  assert.equal(data, 'id,name,country\n1,"Ursula K. Le Guin",US\n2,"Stanislaw Lem",PL\n3,"Octavia Butler",');
});

test('error objects', async () => {
  const missing = await anon.from('e2e_bookz').select();
  assert.equal(missing.status, 404);
  assert.equal(missing.error.code, 'PGRST205');
  assert.equal(missing.error.message, "Could not find the table 'public.e2e_bookz' in the schema cache");
  assert.equal(missing.error.hint, "Perhaps you meant the table 'public.e2e_books'");
  assert.equal(missing.error.details, null);

  const col = await anon.from('e2e_books').select('titl');
  assert.equal(col.status, 400);
  assert.equal(col.error.code, '42703');
  assert.match(col.error.hint, /e2e_books\.title/);

  const rel = await anon.from('e2e_books').select('*, e2e_autors(*)');
  assert.equal(rel.error.code, 'PGRST200');
  assert.match(rel.error.hint, /e2e_authors/);

  const dup = await service.from('e2e_tags').insert({ name: 'award' });
  assert.equal(dup.status, 409);
  assert.equal(dup.error.code, '23505');
  assert.match(dup.error.details, /already exists/);

  const badcol = await service.from('e2e_tags').insert({ nme: 'x' });
  assert.equal(badcol.error.code, 'PGRST204');

  const fn = await anon.rpc('e2e_fail');
  assert.equal(fn.status, 400);
  assert.deepEqual(fn.error, { code: 'P0001', message: 'nope', details: 'some detail', hint: 'some hint' });

  const nofn = await anon.rpc('e2e_ad', { a: 1, b: 2 });
  assert.equal(nofn.status, 404);
  assert.equal(nofn.error.code, 'PGRST202');

  const parse = await anon.from('e2e_books').select('id').filter('year', 'eqq', 1);
  assert.equal(parse.status, 400);
  assert.equal(parse.error.code, 'PGRST100');

  const badkey = client('not-a-jwt');
  const auth = await badkey.from('e2e_books').select();
  assert.equal(auth.status, 401);
  assert.equal(auth.error.code, 'PGRST301');
});

test('row level security decides', async () => {
  await sql(`
    drop table if exists e2e_notes;
    create table e2e_notes (id serial primary key, owner text not null default auth.jwt()->>'sub', body text);
    alter table e2e_notes enable row level security;
    create policy mine on e2e_notes to authenticated using (owner = auth.jwt()->>'sub') with check (owner = auth.jwt()->>'sub');
    insert into e2e_notes (owner, body) values ('u1', 'one'), ('u2', 'two');
  `);
  await waitFor('e2e_notes');
  const r = await fetch(`${url}/rest/v1/e2e_notes?select=body`, { headers: { apikey: process.env.MOBO_ANON_KEY } });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), []);
  const all = await service.from('e2e_notes').select('body').order('id');
  assert.deepEqual(all.data, [{ body: 'one' }, { body: 'two' }]);
});

test('OpenAPI at the root', async () => {
  const r = await fetch(`${url}/rest/v1/`, { headers: { apikey: process.env.MOBO_ANON_KEY, Accept: 'application/openapi+json' } });
  assert.equal(r.status, 200);
  const doc = await r.json();
  assert.equal(doc.openapi, '3.0.3');
  assert.ok(doc.paths['/e2e_books']);
  assert.ok(doc.components.schemas.e2e_books.properties.title);
});

// The GraphQL API through graphql-js: introspection builds a client schema,
// and typed queries validated against it run against /graphql/v1.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery, buildClientSchema, parse, validate, printSchema } from 'graphql';
import { sql, anonKey, serviceKey } from '../lib/env.mjs';

const url = `${process.env.MOBO_URL}/graphql/v1`;

async function gql(query, variables = {}, key = serviceKey) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: key, authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(r.status, 200);
  return r.json();
}

async function clientSchema() {
  const { data, errors } = await gql(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }));
  assert.equal(errors, undefined);
  return buildClientSchema(data);
}

before(async () => {
  await sql(`
    drop function if exists gql_search(text), gql_comment_count(gql_post), gql_shout(text);
    drop table if exists gql_comment, gql_post cascade;
    create table gql_post (id int primary key, title text not null, published bool not null default false);
    create table gql_comment (id int primary key, post_id int not null references gql_post(id), body text not null);
    insert into gql_post values (1, 'First', true), (2, 'Second', false), (3, 'Third', true);
    insert into gql_comment values (1, 1, 'nice'), (2, 1, 'agreed'), (3, 3, 'hm');
    alter table gql_post enable row level security;
    create policy published_only on gql_post for select to anon using (published);
    grant select on gql_post, gql_comment to anon;
    create function gql_search(term text) returns setof gql_post stable language sql
      as $$ select * from gql_post where title ilike '%' || term || '%' $$;
    create function gql_comment_count(gql_post) returns int stable language sql
      as $$ select count(*)::int from gql_comment where post_id = $1.id $$;
    create function gql_shout(t text) returns text volatile language sql as $$ select upper(t) $$;
  `);
  // The schema cache reloads after DDL asynchronously: wait for the type.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { data } = await gql('{ __type(name: "gql_post") { name } }');
    if (data?.__type?.name === 'gql_post') return;
    if (Date.now() > deadline) throw new Error('gql_post never appeared in the GraphQL schema');
    await new Promise((r) => setTimeout(r, 25));
  }
});

test('introspection builds a client schema with pg_graphql names', async () => {
  const schema = await clientSchema();
  const sdl = printSchema(schema);
  assert.match(sdl, /gql_postCollection\(/);
  assert.match(sdl, /insertIntogql_postCollection\(/);
  assert.ok(schema.getType('gql_postConnection'));
  assert.ok(schema.getType('gql_postFilter'));
});

test('typed queries validate against the client schema and run', async () => {
  const schema = await clientSchema();
  const query = `
    query Posts($first: Int!, $published: Boolean) {
      gql_postCollection(first: $first, filter: { published: { eq: $published } }, orderBy: [{ id: AscNullsLast }]) {
        edges { cursor node { id title gql_commentCollection { edges { node { body } } } } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
  assert.deepEqual(validate(schema, parse(query)), []);
  const { data, errors } = await gql(query, { first: 1, published: true });
  assert.equal(errors, undefined);
  const conn = data.gql_postCollection;
  assert.equal(conn.edges.length, 1);
  assert.equal(conn.edges[0].node.title, 'First');
  assert.deepEqual(conn.edges[0].node.gql_commentCollection.edges.map((e) => e.node.body).sort(), ['agreed', 'nice']);
  assert.equal(conn.pageInfo.hasNextPage, true);

  // The next page, by cursor.
  const next = await gql(`query($after: Cursor) { gql_postCollection(first: 5, after: $after, filter: { published: { eq: true } }, orderBy: [{ id: AscNullsLast }]) { edges { node { id } } } }`, { after: conn.pageInfo.endCursor });
  assert.deepEqual(next.data.gql_postCollection.edges.map((e) => e.node.id), [3]);
});

test('row level security applies to GraphQL as to REST', async () => {
  const { data } = await gql('{ gql_postCollection { edges { node { id } } } }', {}, anonKey);
  assert.deepEqual(data.gql_postCollection.edges.map((e) => e.node.id).sort(), [1, 3]);
});

test('mutations return affectedCount and records', async () => {
  const { data, errors } = await gql(`mutation { insertIntogql_postCollection(objects: [{ id: 10, title: "Fresh" }]) { affectedCount records { id title published } } }`);
  assert.equal(errors, undefined);
  assert.equal(data.insertIntogql_postCollection.affectedCount, 1);
  assert.deepEqual(data.insertIntogql_postCollection.records, [{ id: 10, title: 'Fresh', published: false }]);
  const del = await gql(`mutation { deleteFromgql_postCollection(filter: { id: { eq: 10 } }) { affectedCount } }`);
  assert.equal(del.data.deleteFromgql_postCollection.affectedCount, 1);
});

test('client mistakes come back in the errors array', async () => {
  const { data, errors } = await gql('{ gql_postCollection { edges { node { nope } } } }');
  assert.equal(data ?? null, null);
  assert.ok(errors.length >= 1);
  assert.match(errors[0].message, /nope/);
});

test('functions: stable ones are queries (set-returning, computed fields), volatile ones mutations', async () => {
  const schema = await clientSchema();
  assert.ok(schema.getQueryType().getFields().gql_search);
  assert.ok(schema.getMutationType().getFields().gql_shout);
  assert.ok(schema.getType('gql_post').getFields().gql_comment_count);
  const query = `query($term: String!) { gql_search(term: $term, orderBy: [{ id: AscNullsLast }]) { edges { node { id title gql_comment_count } } } }`;
  assert.deepEqual(validate(schema, parse(query)), []);
  const { data, errors } = await gql(query, { term: 'ir' });
  assert.equal(errors, undefined);
  assert.deepEqual(data.gql_search.edges.map((e) => e.node), [
    { id: 1, title: 'First', gql_comment_count: 2 },
    { id: 3, title: 'Third', gql_comment_count: 1 },
  ]);
  const mutation = `mutation($t: String!) { gql_shout(t: $t) }`;
  assert.deepEqual(validate(schema, parse(mutation)), []);
  const shout = await gql(mutation, { t: 'hi' });
  assert.deepEqual(shout, { data: { gql_shout: 'HI' } });
});

-- What mobo adds to every project database: the grants Supabase's roles
-- expect, and the auth helpers that RLS policies written for Supabase call.
-- The roles themselves are cluster-wide and created before this runs.

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- The claims of the request's JWT, set per transaction by the API
-- (set_config('request.jwt.claims', …, true)); request.jwt.claim.* is the
-- older PostgREST form, still read for compatibility.
create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.sub', true),
    auth.jwt() ->> 'sub'
  ), '')::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.role', true),
    auth.jwt() ->> 'role'
  ), '')::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.email', true),
    auth.jwt() ->> 'email'
  ), '')::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.email() to anon, authenticated, service_role;

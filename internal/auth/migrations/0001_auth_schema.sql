-- The auth service's tables in each project database, shaped as Supabase
-- Auth's (GoTrue's) so RLS policies and tools written for Supabase can join
-- them. The auth.uid()/role()/jwt()/email() helpers come from the tenant
-- migrations and are not redefined here.

create schema if not exists auth;

do $$ begin
  create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
exception when duplicate_object then null; end $$;
do $$ begin
  create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
exception when duplicate_object then null; end $$;
do $$ begin
  create type auth.factor_status as enum ('unverified', 'verified');
exception when duplicate_object then null; end $$;
do $$ begin
  create type auth.code_challenge_method as enum ('s256', 'plain');
exception when duplicate_object then null; end $$;
do $$ begin
  create type auth.one_time_token_type as enum ('confirmation_token', 'reauthentication_token',
    'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');
exception when duplicate_object then null; end $$;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255) default '',
  confirmation_sent_at timestamptz,
  recovery_token varchar(255) default '',
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255) default '',
  email_change varchar(255) default '',
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb not null default '{}',
  raw_user_meta_data jsonb not null default '{}',
  is_super_admin boolean,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0,
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (lower(email)) where is_sso_user = false and email is not null and email <> '';
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid primary key default gen_random_uuid(),
  unique (provider_id, provider)
);
create index if not exists identities_user_id_idx on auth.identities (user_id);

create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  factor_id uuid,
  aal auth.aal_level not null default 'aal1',
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);

create table if not exists auth.mfa_factors (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  friendly_name text,
  factor_type auth.factor_type not null,
  status auth.factor_status not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  secret text,
  phone text,
  last_challenged_at timestamptz unique
);
create unique index if not exists mfa_factors_user_friendly_name_unique on auth.mfa_factors (friendly_name, user_id) where trim(friendly_name) <> '';
create index if not exists mfa_factors_user_id_idx on auth.mfa_factors (user_id);

create table if not exists auth.mfa_challenges (
  id uuid primary key,
  factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
  created_at timestamptz not null default now(),
  verified_at timestamptz,
  ip_address inet not null default '0.0.0.0',
  otp_code text
);

create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  authentication_method text not null,
  id uuid primary key default gen_random_uuid(),
  unique (session_id, authentication_method)
);

create table if not exists auth.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp not null default now(),
  updated_at timestamp not null default now(),
  unique (user_id, token_type)
);
create index if not exists one_time_tokens_token_hash_idx on auth.one_time_tokens using hash (token_hash);

create table if not exists auth.flow_state (
  id uuid primary key,
  user_id uuid,
  auth_code text not null,
  code_challenge_method auth.code_challenge_method not null,
  code_challenge text not null,
  provider_type text not null,
  provider_access_token text,
  provider_refresh_token text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  authentication_method text not null,
  auth_code_issued_at timestamptz
);
create index if not exists flow_state_auth_code_idx on auth.flow_state (auth_code);

create table if not exists auth.audit_log_entries (
  instance_id uuid,
  id uuid primary key,
  payload json,
  created_at timestamptz not null default now(),
  ip_address varchar(64) not null default ''
);

-- mobo's additions: scoped secret API keys and RBAC roles.
create table if not exists auth.api_keys (
  id uuid primary key,
  name text not null default '',
  prefix text not null,
  key_hash text not null unique,
  scopes text[] not null default '{}',
  roles text[] not null default '{}',
  allowed_ips cidr[] not null default '{}',
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table if not exists auth.roles (
  name text primary key check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  description text not null default '',
  created_at timestamptz not null default now()
);

create table if not exists auth.role_permissions (
  role text not null references auth.roles (name) on delete cascade,
  resource text not null,
  actions text[] not null,
  primary key (role, resource)
);

create table if not exists auth.user_roles (
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null references auth.roles (name) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, role)
);

create table if not exists auth.signing_keys (
  kid text primary key,
  algorithm text not null,
  private_jwk jsonb not null,
  public_jwk jsonb not null,
  status text not null default 'standby' check (status in ('current', 'standby', 'previous', 'revoked')),
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);

-- True when the request's token carries role in app_metadata.roles.
create or replace function auth.has_role(role text) returns boolean
language sql stable
as $$
  select coalesce((auth.jwt() -> 'app_metadata' -> 'roles') ? role, false)
$$;
grant execute on function auth.has_role(text) to anon, authenticated, service_role;

-- Grants as Supabase's: the auth tables are the auth service's; anon sees
-- none of them; service_role may manage them; an authenticated user may read
-- its own rows (not its secrets) so that policies and views can join them.
grant all on all tables in schema auth to service_role;
grant all on all sequences in schema auth to service_role;
revoke all on auth.api_keys, auth.signing_keys from service_role;
grant select (id, aud, role, email, email_confirmed_at, phone, phone_confirmed_at, confirmed_at,
  last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until,
  deleted_at, is_anonymous) on auth.users to authenticated;
grant select on auth.identities, auth.sessions to authenticated;
grant select (id, user_id, friendly_name, factor_type, status, created_at, updated_at) on auth.mfa_factors to authenticated;
grant select on auth.roles, auth.role_permissions, auth.user_roles to authenticated;

alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.mfa_factors enable row level security;
alter table auth.user_roles enable row level security;
drop policy if exists users_own on auth.users;
create policy users_own on auth.users for select to authenticated using (id = auth.uid());
drop policy if exists identities_own on auth.identities;
create policy identities_own on auth.identities for select to authenticated using (user_id = auth.uid());
drop policy if exists sessions_own on auth.sessions;
create policy sessions_own on auth.sessions for select to authenticated using (user_id = auth.uid());
drop policy if exists mfa_factors_own on auth.mfa_factors;
create policy mfa_factors_own on auth.mfa_factors for select to authenticated using (user_id = auth.uid());
drop policy if exists user_roles_own on auth.user_roles;
create policy user_roles_own on auth.user_roles for select to authenticated using (user_id = auth.uid());

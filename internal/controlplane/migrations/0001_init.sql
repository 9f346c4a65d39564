-- The control plane: projects, their secrets and keys, settings, per-component
-- state and the audit log.

create table mobo.settings (
    key        text primary key,
    value      text not null,
    updated_at timestamptz not null default now()
);

create table mobo.component_kv (
    component  text not null,
    key        text not null,
    value      bytea not null,
    updated_at timestamptz not null default now(),
    primary key (component, key)
);

create table mobo.projects (
    ref         text primary key check (ref ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    name        text not null,
    database    text not null unique,
    status      text not null default 'active'
                check (status in ('creating', 'active', 'paused', 'deleting')),
    jwt_secret  text not null,
    anon_key    text not null,
    service_key text not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table mobo.audit_log (
    id      bigint generated always as identity primary key,
    at      timestamptz not null default now(),
    actor   text not null,
    action  text not null,
    target  text not null default '',
    detail  jsonb not null default '{}'
);
create index audit_log_at on mobo.audit_log (at);

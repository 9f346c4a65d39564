-- The sentinel's forensic record and state: every finding (with the
-- request's summary, never a secret), the incidents they opened, the blocks
-- in force with each subject's offences, the allow-list and the agents'
-- modes as operators set them.
create table mobo.sentinel_events (
    id         bigserial primary key,
    at         timestamptz not null,
    project    text not null,
    agent      text not null,
    label      text not null,
    reason     text not null,
    score      float8 not null,
    shadow     boolean not null,
    -- the actor at every scope ("ip:203.0.113.9", "user:<ref>/<id>", …),
    -- so that an incident's timeline is the events of its subject
    subjects   text[] not null,
    method     text not null,
    route      text not null,
    status     int not null,
    excerpt    text not null
);
create index sentinel_events_at on mobo.sentinel_events (at);
create index sentinel_events_subjects on mobo.sentinel_events using gin (subjects);

create table mobo.sentinel_incidents (
    id         text primary key,
    scenario   text not null,
    labels     text[] not null,
    scope      text not null,
    subject    text not null,
    project    text not null,
    opened_at  timestamptz not null,
    last_at    timestamptz not null,
    closed_at  timestamptz,
    findings   int not null,
    actions    text[] not null,
    shadow     boolean not null,
    allowed    boolean not null,
    status     text not null check (status in ('open', 'closed'))
);
create index sentinel_incidents_opened on mobo.sentinel_incidents (opened_at desc);

create table mobo.sentinel_blocks (
    scope      text not null,
    subject    text not null,
    until      timestamptz not null,
    reason     text not null,
    incident   text not null,
    offences   int not null,
    manual     boolean not null,
    created_at timestamptz not null,
    -- the user is admitted again with an MFA (aal2) token
    step_up    boolean not null default false,
    primary key (scope, subject)
);

create table mobo.sentinel_allow (
    scope      text not null check (scope in ('ip', 'key', 'user', 'route')),
    subject    text not null,
    note       text not null default '',
    created_at timestamptz not null default now(),
    primary key (scope, subject)
);

create table mobo.sentinel_modes (
    agent      text primary key,
    mode       text not null check (mode in ('enforce', 'shadow', 'off'))
);

-- Every node follows the sentinel's state (channel mobo_sentinel, the
-- table's name as payload): a block, an unblock, an allow-list entry or a
-- mode set on one node, or by the CLI, applies on every node at once.
create function mobo.notify_sentinel_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('mobo_sentinel', tg_table_name);
    return null;
end
$$;

create trigger notify_sentinel_blocks after insert or update or delete on mobo.sentinel_blocks
    for each statement execute function mobo.notify_sentinel_change();
create trigger notify_sentinel_allow after insert or update or delete on mobo.sentinel_allow
    for each statement execute function mobo.notify_sentinel_change();
create trigger notify_sentinel_modes after insert or update or delete on mobo.sentinel_modes
    for each statement execute function mobo.notify_sentinel_change();

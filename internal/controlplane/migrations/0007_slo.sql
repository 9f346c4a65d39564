-- Service-level objectives: the alert history (every state transition,
-- notification, acknowledgement, escalation and silence change), the
-- silences operators set, each alert's state (so that a restart neither
-- notifies again what was notified nor forgets an acknowledgement), and
-- each objective's coarse samples of its good and total counts (so that an
-- error budget survives a restart).
create table mobo.slo_history (
    id         bigserial primary key,
    at         timestamptz not null,
    alert      text not null,          -- "<objective>:<severity>", or "" for a silence's own entry
    objective  text not null,
    severity   text not null,
    kind       text not null check (kind in ('transition', 'notification', 'ack', 'escalation', 'silence')),
    from_state text not null default '',
    to_state   text not null default '',
    receiver   text not null default '',
    detail     jsonb not null default '{}'
);
create index slo_history_at on mobo.slo_history (at desc);
create index slo_history_alert on mobo.slo_history (alert, at desc);

create table mobo.slo_silences (
    id         text primary key,
    objective  text not null default '',  -- '' matches any
    api        text not null default '',
    project    text not null default '',
    severity   text not null default '',
    starts_at  timestamptz not null,
    ends_at    timestamptz not null,
    created_by text not null,
    comment    text not null,
    created_at timestamptz not null
);
create index slo_silences_ends on mobo.slo_silences (ends_at);

create table mobo.slo_alerts (
    id            text primary key,        -- "<objective>:<severity>"
    state         jsonb not null,
    updated_at    timestamptz not null
);

create table mobo.slo_samples (
    objective  text not null,
    at         timestamptz not null,
    good       float8 not null,
    total      float8 not null,
    primary key (objective, at)
);

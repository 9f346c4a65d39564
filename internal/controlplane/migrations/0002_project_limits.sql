-- Per-project limits. NULL means the platform default.
alter table mobo.projects
    add column max_connections   integer check (max_connections between 1 and 1000),
    add column statement_timeout interval check (statement_timeout > interval '0'),
    add column db_size_limit     bigint check (db_size_limit > 0),
    add column request_rate      text,
    add column over_quota        boolean not null default false;

-- Per-project REST settings: overrides of the platform's [rest] section,
-- under its key names ({"max_rows": 100}). An absent key is the default.
alter table mobo.projects
    add column rest_settings jsonb not null default '{}'
        check (jsonb_typeof(rest_settings) = 'object');

-- Per-project auth settings: overrides of the platform's [auth] section,
-- under its key names ({"disable_signup": true}). An absent key is the
-- default.
alter table mobo.projects
    add column auth_settings jsonb not null default '{}'
        check (jsonb_typeof(auth_settings) = 'object');

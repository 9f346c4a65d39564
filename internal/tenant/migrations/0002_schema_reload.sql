-- Reload the REST schema cache after DDL: an event trigger NOTIFYs pgrst,
-- as PostgREST's documentation recommends, so a new table is an API at once.
create schema if not exists mobo;

create or replace function mobo.notify_schema_reload() returns event_trigger
language plpgsql
as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end
$$;

drop event trigger if exists mobo_schema_reload_ddl;
create event trigger mobo_schema_reload_ddl on ddl_command_end
  execute function mobo.notify_schema_reload();

drop event trigger if exists mobo_schema_reload_drop;
create event trigger mobo_schema_reload_drop on sql_drop
  execute function mobo.notify_schema_reload();

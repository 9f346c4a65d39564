-- The project's owner role (the owner of its database: what `mobo db psql`
-- and migrations use) owns supabase_realtime, so it can turn realtime on for
-- its tables as Supabase users do: alter publication supabase_realtime add
-- table … (PostgreSQL lets only the publication's owner add tables, and only
-- tables it owns). Where mobo's own role may not hand the publication over
-- (an external database mobo does not own), it stays as it is.
do $$
declare
  owner name := (select pg_get_userbyid(datdba) from pg_database where datname = current_database());
begin
  if (select rolsuper from pg_roles where rolname = current_user) or pg_has_role(current_user, owner, 'MEMBER') then
    execute format('alter publication supabase_realtime owner to %I', owner);
  end if;
end
$$;

-- Every change of a project row is announced on channel mobo_projects with
-- the project's ref, so that every mobo node serving this control plane
-- applies it (a pause, new limits, a rotated secret, a deletion) at once,
-- whichever node or CLI made it.
create function mobo.notify_project_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('mobo_projects', coalesce(new.ref, old.ref));
    return null;
end
$$;

create trigger notify_project_change
    after insert or update or delete on mobo.projects
    for each row execute function mobo.notify_project_change();

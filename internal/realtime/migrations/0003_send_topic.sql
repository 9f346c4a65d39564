-- realtime.send and realtime.send_binary set realtime.topic for their insert
-- into realtime.messages, as Supabase's do, so that RLS policies written as
-- Supabase documents them (using / with check (realtime.topic() = 'room'))
-- accept a message sent from a trigger running as the API roles. As
-- Supabase's, send gives the message an id and adds it to a payload that has
-- none.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid := gen_random_uuid();
  final_payload jsonb := payload;
begin
  if jsonb_typeof(payload) = 'object' and not payload ? 'id' then
    final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
  end if;
  perform set_config('realtime.topic', topic, true);
  insert into realtime.messages (id, payload, event, topic, private, extension)
  values (generated_id, final_payload, event, topic, private, 'broadcast');
exception when others then
  raise warning 'realtime.send: %', sqlerrm;
end
$$;

create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  perform set_config('realtime.topic', topic, true);
  insert into realtime.messages (binary_payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast');
exception when others then
  raise warning 'realtime.send_binary: %', sqlerrm;
end
$$;

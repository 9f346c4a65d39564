SELECT NULL::int8 AS total, count(*) AS n, coalesce(json_agg(x), '[]') AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (SELECT "public"."full_name"(t0) AS "full_name" FROM "public"."users" t0 WHERE "public"."full_name"(t0) @@ to_tsquery($1::regconfig, $2)) x
-- args: ["english","ada"]

SELECT NULL::int8 AS total, count(*) AS n, coalesce(json_agg(x), '[]') AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (SELECT t0."id" AS "id", t0."name" AS "name", t0."email" AS "email", t0."data" AS "data" FROM "public"."users" t0 WHERE t0."id" = $1) x
-- args: ["1"]

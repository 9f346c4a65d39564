SELECT (SELECT count(*) FROM "public"."users" t0) AS total, count(*) AS n, coalesce(json_agg(x), '[]') AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (SELECT t0."id" AS "id" FROM "public"."users" t0 LIMIT $1 OFFSET $2) x
-- args: [5,5]

SELECT NULL::int8 AS total, count(*) AS n, coalesce(json_agg(x), '[]') AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (SELECT t0."id" AS "id", t0."title" AS "title" FROM "public"."posts" t0 ORDER BY t0."id" LIMIT $1) x
-- args: [20]

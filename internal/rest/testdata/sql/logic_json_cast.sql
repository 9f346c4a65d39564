SELECT NULL::int8 AS total, count(*) AS n, coalesce(json_agg(x), '[]') AS body, NULL::text[] AS loc FROM (SELECT CAST(t0."id" AS "pg_catalog"."text") AS "id", (t0."data"->$1::text->>$2::text) AS "d" FROM "public"."users" t0 WHERE (t0."data"->$3::text->>$4::int4) = ANY($5) AND (t0."id" = $6 OR (t0."name" LIKE $7 AND NOT (t0."email" IS NULL)))) x
-- args: ["a","b","x",0,["a","b"],"1","A%"]

WITH pgrst_mut AS (UPDATE "public"."users" AS t0 SET "name" = pgrst_body."name" FROM (SELECT * FROM json_populate_record(NULL::"public"."users", $2::json)) pgrst_body WHERE t0."id" = $1 RETURNING t0.*) SELECT NULL::int8 AS total, (SELECT count(*) FROM pgrst_mut) AS n, NULL::json AS body, NULL::text[] AS loc, NULL::bool AS ins
-- args: ["1","{\"name\":\"b\"}"]

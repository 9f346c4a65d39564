WITH pgrst_mut AS (DELETE FROM "public"."comments" AS t0 WHERE t0."post_id" = $1 AND t0.ctid = ANY(ARRAY(SELECT t9.ctid FROM "public"."comments" t9 WHERE t9."post_id" = $2 ORDER BY t9."id" LIMIT $3)) RETURNING t0.*) SELECT NULL::int8 AS total, (SELECT count(*) FROM pgrst_mut) AS n, NULL::json AS body, NULL::text[] AS loc, NULL::bool AS ins
-- args: ["1","1",2]

package rest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

// TestResultScan: the row every statement returns reads the same through
// the decoding of raw values as through pgx's Scan, and rows of other
// shapes still read through Scan.
func TestResultScan(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	for _, tc := range []struct {
		name, sql string
		want      result
	}{
		{
			"plain", `SELECT NULL::int8, count(*), coalesce(json_agg(x), '[]'), NULL::text[], NULL::bool FROM (SELECT 1 AS a) x`,
			result{n: 1, body: []byte(`[{"a":1}]`)},
		},
		{"total", `SELECT 7::int8, 0::int8, '[]'::json, NULL::text[], NULL::bool`, result{total: ptr(int64(7)), body: []byte(`[]`)}},
		{"text body", `SELECT NULL::int8, 2::int8, 'a,b'::text, NULL::text[], NULL::bool`, result{n: 2, body: []byte(`a,b`)}},
		{"null body", `SELECT NULL::int8, 0::int8, NULL::json, NULL::text[], NULL::bool`, result{}},
		{"locations", `SELECT NULL::int8, 1::int8, NULL::json, ARRAY['1','a b'], NULL::bool`, result{n: 1, loc: []string{"1", "a b"}}},
		{"merged only", `SELECT NULL::int8, 1::int8, NULL::json, NULL::text[], false`, result{n: 1, inserted: ptr(false)}},
		{"jsonb body", `SELECT NULL::int8, 1::int8, '{"a": 1}'::jsonb, NULL::text[], NULL::bool`, result{n: 1, body: []byte(`{"a": 1}`)}},
		{"int4 count", `SELECT NULL::int8, 3::int4, '[]'::json, NULL::text[], NULL::bool`, result{n: 3, body: []byte(`[]`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := db.Pool.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			for range 2 { // the second run has the statement's description cached
				b := &pgx.Batch{}
				b.Queue(tc.sql)
				br := conn.SendBatch(context.Background(), b)
				var got result
				err := got.scan(br)
				if cerr := br.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(result{})); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			}
		})
	}
}

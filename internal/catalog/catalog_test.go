package catalog

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestLoadHostileNames: names that are legal in PostgreSQL but hostile to
// SQL built as text (quotes, dollar signs, semicolons, reserved words,
// unicode, case) load as PostgreSQL spells them, and Sanitize quotes them
// so that PostgreSQL finds the same objects again.
func TestLoadHostileNames(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, `
		create schema "we""ird";
		create table "we""ird"."a$$b" ("x;drop" int primary key, "select" text, "ünï" text, "Case" int);
		create table "we""ird"."child" (id int primary key, parent int references "we""ird"."a$$b" ("x;drop"));
		create view "we""ird"."v$1" as select "x;drop", "select" from "we""ird"."a$$b";
		create function "we""ird"."f$$n"(r "we""ird"."a$$b") returns text language sql stable as $$ select r."select" $$;
	`); err != nil {
		t.Fatal(err)
	}
	c, err := Load(ctx, db.Pool, []string{`we"ird`})
	if err != nil {
		t.Fatal(err)
	}
	rel := c.Relation(`we"ird`, "a$$b")
	if rel == nil {
		t.Fatalf("a$$b not loaded: %v", slices.Sorted(func(yield func(string) bool) {
			for q := range c.Relations {
				if !yield(q.String()) {
					return
				}
			}
		}))
	}
	var names []string
	for _, col := range rel.Columns {
		names = append(names, col.Name)
	}
	if want := []string{"x;drop", "select", "ünï", "Case"}; !slices.Equal(names, want) {
		t.Errorf("columns = %q, want %q", names, want)
	}
	if rel.Column("x;drop") == nil || !slices.Equal(rel.PK, []string{"x;drop"}) {
		t.Errorf("primary key = %q", rel.PK)
	}
	child, view := c.Relation(`we"ird`, "child"), c.Relation(`we"ird`, "v$1")
	if child == nil || view == nil || view.Kind != 'v' {
		t.Fatalf("child %v, view %v", child, view)
	}
	// The key, and the same key seen through the view (PostgREST embeds
	// views like their tables).
	if len(child.FKs) != 2 || child.FKs[0].To != rel || child.FKs[1].To != view || len(rel.Referenced) != 1 || child.FKs[0].Name != child.FKs[1].Name {
		t.Fatalf("foreign keys of child: %d, referencing a$$b: %d", len(child.FKs), len(rel.Referenced))
	}
	if fs := c.Functions[QName{Schema: `we"ird`, Name: "f$$n"}]; len(fs) != 1 || fs[0].RowArg != rel || c.Computed(`we"ird`, "f$$n", rel) != fs[0] {
		t.Errorf("computed field not loaded: %+v", fs)
	}
	// The quoted names find the same objects.
	for _, q := range []QName{rel.QName, child.QName} {
		var n int
		if err := db.Pool.QueryRow(ctx, "select count(*) from "+q.Sanitize()).Scan(&n); err != nil {
			t.Errorf("select from %s: %v", q.Sanitize(), err)
		}
	}
	col := pgx.Identifier{"x;drop"}.Sanitize()
	if _, err := db.Pool.Exec(ctx, "insert into "+rel.Sanitize()+" ("+col+") values (1)"); err != nil {
		t.Errorf("insert through quoted names: %v", err)
	}
}

// TestLoadIsOneRoundTrip: a load sends one batch.
func TestLoadIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	q := &countingQuerier{pool: db.Pool}
	if _, err := Load(t.Context(), q, []string{"public"}); err != nil {
		t.Fatal(err)
	}
	if q.batches != 1 {
		t.Errorf("a load sent %d batches, want 1", q.batches)
	}
}

type countingQuerier struct {
	pool    Querier
	batches int
}

func (c *countingQuerier) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	c.batches++
	return c.pool.SendBatch(ctx, b)
}

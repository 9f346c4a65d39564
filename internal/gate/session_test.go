package gate

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// noPools is the pools of tests that take no connection.
type noPools struct{}

func (noPools) Pool(context.Context, string) (*pgxpool.Pool, error) {
	return nil, errors.New("this test takes no connection")
}

type onePool struct{ pool *pgxpool.Pool }

func (p onePool) Pool(context.Context, string) (*pgxpool.Pool, error) { return p.pool, nil }

// countingShare records the shares taken and given back, by project.
type countingShare struct {
	mu           sync.Mutex
	taken, given map[string]int
	refuse       error
}

func (s *countingShare) Share(ctx context.Context, ref string) (func(), error) {
	if s.refuse != nil {
		return nil, s.refuse
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taken[ref]++
	return func() { s.mu.Lock(); s.given[ref]++; s.mu.Unlock() }, nil
}

func (s *countingShare) counts(ref string) (taken, given int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.taken[ref], s.given[ref]
}

// TestSessionsTakeTheShare: every connection a decision or a catalog read
// takes is taken within the project's share and gives it back, and a
// decision's statements run as its principal.
func TestSessionsTakeTheShare(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, `do $$ begin
		if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if; end $$`); err != nil {
		t.Fatal(err)
	}
	sh := &countingShare{taken: map[string]int{}, given: map[string]int{}}
	g := New(Options{Authenticator: &SecretAuthenticator{Secret: func(string) (string, error) { return "s", nil }}, Pools: onePool{db.Pool}, Share: sh})
	d, err := g.Authorize(ctx, "p1", Anonymous("anon"), Action{API: APIRest, Schema: "public", Relation: "x", Op: OpRead})
	if err != nil {
		t.Fatal(err)
	}
	var who string
	err = d.Query(ctx, Plan{SQL: "select current_user::text"}, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&who) })
	if err != nil || who != "anon" {
		t.Fatalf("Query ran as %q (%v), want anon", who, err)
	}
	s, err := d.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if taken, given := sh.counts("p1"); taken != 2 || given != 1 {
		t.Errorf("while a session is held: taken %d given %d, want 2 and 1", taken, given)
	}
	err = s.Run(ctx, Plan{SQL: "select current_user::text", Hold: true}, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&who) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.End(ctx, false); err != nil {
		t.Fatal(err)
	}
	s.Release()
	if taken, given := sh.counts("p1"); taken != 2 || given != 2 {
		t.Errorf("after release: taken %d given %d, want 2 and 2", taken, given)
	}
	err = g.ReadCatalog(ctx, "p2", func(conn *pgx.Conn) error { return conn.QueryRow(ctx, "select current_user::text").Scan(&who) })
	if err != nil || who == "anon" {
		t.Errorf("a catalog read ran as %q (%v)", who, err)
	}
	if taken, given := sh.counts("p2"); taken != 1 || given != 1 {
		t.Errorf("catalog read: taken %d given %d, want 1 and 1", taken, given)
	}
	// A share that cannot be had (the wait ended) takes no connection.
	sh.refuse = context.DeadlineExceeded
	if _, err := d.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire without a share: %v", err)
	}
}

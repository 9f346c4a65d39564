package migrate

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var table = pgx.Identifier{"mobo", "test_migrations"}

func load(t *testing.T, files map[string]string) *Set {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	s, err := Load(fsys, "m", table)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestUpOnceInOrder(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	conn := connect(t, db.ConnString)
	s := load(t, map[string]string{
		"0002_add.sql":    "alter table things add column b int;",
		"0001_create.sql": "create table things (a int);",
	})
	applied, err := s.Up(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 || applied[0].Version != 1 || applied[1].Version != 2 {
		t.Fatalf("applied %+v, want 1 then 2", applied)
	}
	again, err := s.Up(t.Context(), conn)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Up applied %d (err %v), want none", len(again), err)
	}
	st, err := s.Status(t.Context(), conn)
	if err != nil || len(st) != 2 || st[1].Name != "add" || st[1].Checksum != s.List[1].Checksum {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestChecksumMismatch(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	conn := connect(t, db.ConnString)
	if _, err := load(t, map[string]string{"0001_a.sql": "create table a (x int);"}).Up(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, map[string]string{"0001_a.sql": "create table a (x bigint);"}).Up(t.Context(), conn)
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("err = %v, want ErrChecksumMismatch", err)
	}
}

func TestFailedMigrationLeavesNothing(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	conn := connect(t, db.ConnString)
	s := load(t, map[string]string{
		"0001_ok.sql":  "create table ok (x int);",
		"0002_bad.sql": "create table half (x int); select 1/0;",
	})
	applied, err := s.Up(t.Context(), conn)
	if err == nil || len(applied) != 1 {
		t.Fatalf("Up = %d applied, err %v; want 1 applied and an error", len(applied), err)
	}
	var half bool
	if err := conn.QueryRow(t.Context(), "select to_regclass('half') is not null").Scan(&half); err != nil {
		t.Fatal(err)
	}
	if half {
		t.Error("the failed migration's table exists")
	}
	st, err := s.Status(t.Context(), conn)
	if err != nil || len(st) != 1 {
		t.Errorf("recorded %+v (%v), want only 0001", st, err)
	}
}

func TestConcurrentRunnersApplyOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	s := load(t, map[string]string{"0001_a.sql": "create table a (x int);", "0002_b.sql": "create table b (x int);"})
	var wg sync.WaitGroup
	total := make([]int, 4)
	errs := make([]error, 4)
	for i := range 4 {
		conn := connect(t, db.ConnString)
		wg.Go(func() {
			applied, err := s.Up(t.Context(), conn)
			total[i], errs[i] = len(applied), err
		})
	}
	wg.Wait()
	sum := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Errorf("runner %d: %v", i, errs[i])
		}
		sum += total[i]
	}
	if sum != 2 {
		t.Errorf("applied %d migrations in all, want 2", sum)
	}
}

func TestLoadRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, files := range []map[string]string{
		{"create.sql": ""},
		{"0001_a.sql": "", "1_b.sql": ""},
		{"x_a.sql": ""},
	} {
		fsys := fstest.MapFS{}
		for n, b := range files {
			fsys["m/"+n] = &fstest.MapFile{Data: []byte(b)}
		}
		if _, err := Load(fsys, "m", table); err == nil {
			t.Errorf("Load accepted %v", files)
		}
	}
}

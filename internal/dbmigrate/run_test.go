package dbmigrate

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// connect opens a connection to db that the test closes at its end.
func connect(t *testing.T, db *pgtest.DB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db.ConnString)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustParse(t *testing.T, files ...File) []Migration {
	t.Helper()
	migs, err := Parse(files)
	if err != nil {
		t.Fatal(err)
	}
	return migs
}

// states returns "version:state" for each entry of a status report.
func states(t *testing.T, conn *pgx.Conn, migs []Migration) []string {
	t.Helper()
	es, err := Status(t.Context(), conn, migs)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Version+":"+string(e.State))
	}
	return out
}

func tableExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(t.Context(), "select to_regclass($1) is not null", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func versionsOf(migs []Migration) []string {
	var v []string
	for _, m := range migs {
		v = append(v, m.Version)
	}
	return v
}

var (
	fileA = File{Name: "1_a.sql", Content: "-- +migrate Up\ncreate table a (id int);\n-- +migrate Down\ndrop table a;\n"}
	fileB = File{Name: "2_b.sql", Content: "-- +migrate Up\ncreate table b (id int);\ninsert into b values (1);\n-- +migrate Down\ndrop table b;\n"}
	fileC = File{Name: "3_c.sql", Content: "create table c (id int);\n"} // Supabase style: no down part
)

func TestUpStatusDownRepair(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	migs := mustParse(t, fileA, fileB, fileC)

	if diff := cmp.Diff([]string{"1:pending", "2:pending", "3:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status before the table exists (-want +got):\n%s", diff)
	}
	done, err := Up(ctx, conn, migs, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, versionsOf(done)); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	for _, tbl := range []string{"a", "b", "c"} {
		if !tableExists(t, conn, tbl) {
			t.Errorf("table %s missing after up", tbl)
		}
	}
	// The records are Supabase's columns plus ours.
	var name, sum string
	var stmts []string
	if err := conn.QueryRow(ctx, "select name, statements, checksum from supabase_migrations.schema_migrations where version = '2'").Scan(&name, &stmts, &sum); err != nil {
		t.Fatal(err)
	}
	if name != "b" || sum != migs[1].Checksum || len(stmts) != 1 || stmts[0] != migs[1].Up {
		t.Errorf("record of 2: name %q, checksum %q, statements %q", name, sum, stmts)
	}
	if done, err := Up(ctx, conn, migs, UpOptions{}); err != nil || len(done) != 0 {
		t.Errorf("second up = %v, %v; want nothing to do", versionsOf(done), err)
	}

	// 3 has no down part: down refuses before running anything.
	if _, err := Down(ctx, conn, migs, 1); !errors.Is(err, ErrNoDown) {
		t.Errorf("down of a file without a down part: %v", err)
	}
	if err := Repair(ctx, conn, migs, RepairReverted, []string{"3"}); err != nil {
		t.Fatal(err)
	}
	if !tableExists(t, conn, "c") {
		t.Error("repair ran the migration")
	}
	if diff := cmp.Diff([]string{"1:applied", "2:applied", "3:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status after repair reverted (-want +got):\n%s", diff)
	}
	if err := Repair(ctx, conn, migs, RepairReverted, []string{"3"}); !errors.Is(err, ErrNotApplied) {
		t.Errorf("repair reverted of a pending version: %v", err)
	}

	// Down two: 2 then 1.
	done, err = Down(ctx, conn, migs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2", "1"}, versionsOf(done)); diff != "" {
		t.Errorf("reverted (-want +got):\n%s", diff)
	}
	if tableExists(t, conn, "a") || tableExists(t, conn, "b") {
		t.Error("down left tables a or b")
	}
	if _, err := Down(ctx, conn, migs, 1); !errors.Is(err, ErrNotApplied) {
		t.Errorf("down with nothing applied: %v", err)
	}

	// Repair applied records without running; a file is needed.
	if err := Repair(ctx, conn, migs, RepairApplied, []string{"1", "9"}); !errors.Is(err, ErrMissingFile) {
		t.Errorf("repair applied of an unknown version: %v", err)
	}
	if diff := cmp.Diff([]string{"1:pending", "2:pending", "3:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("a failed repair changed records (-want +got):\n%s", diff)
	}
	if err := Repair(ctx, conn, migs, RepairApplied, []string{"1", "2", "3"}); err != nil {
		t.Fatal(err)
	}
	if tableExists(t, conn, "a") {
		t.Error("repair applied ran the migration")
	}
	if diff := cmp.Diff([]string{"1:applied", "2:applied", "3:applied"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status after repair applied (-want +got):\n%s", diff)
	}

	// A record without a file is reported missing; down of it is an error.
	if diff := cmp.Diff([]string{"1:applied", "2:applied", "3:missing"}, states(t, conn, migs[:2])); diff != "" {
		t.Errorf("status without file 3 (-want +got):\n%s", diff)
	}
	if _, err := Down(ctx, conn, migs[:2], 1); !errors.Is(err, ErrMissingFile) {
		t.Errorf("down without the file: %v", err)
	}
}

func TestChangedFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	if _, err := Up(ctx, conn, mustParse(t, fileA), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	changedA := fileA
	changedA.Content = "-- +migrate Up\ncreate table a (id bigint);\n-- +migrate Down\ndrop table a;\n"
	migs := mustParse(t, changedA, fileB)

	if diff := cmp.Diff([]string{"1:changed", "2:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if done, err := Up(ctx, conn, migs, UpOptions{}); !errors.Is(err, ErrChecksumMismatch) || len(done) != 0 {
		t.Errorf("up with a changed file = %v, %v; want ErrChecksumMismatch and nothing applied", versionsOf(done), err)
	}
	if tableExists(t, conn, "b") {
		t.Error("up ran 2 despite the changed file 1")
	}
	if _, err := Down(ctx, conn, migs, 1); !errors.Is(err, ErrChecksumMismatch) {
		t.Errorf("down of a changed file: %v", err)
	}
	// repair applied accepts the file as it is now.
	if err := Repair(ctx, conn, migs, RepairApplied, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if done, err := Up(ctx, conn, migs, UpOptions{}); err != nil || len(done) != 1 {
		t.Errorf("up after repair = %v, %v", versionsOf(done), err)
	}
}

func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	bad := File{Name: "2_bad.sql", Content: "create table half (id int);\ninsert into half values (1);\nselect 1/0;\n"}
	migs := mustParse(t, fileA, bad, fileC)

	done, err := Up(ctx, conn, migs, UpOptions{})
	var re *RunError
	var pe *pgconn.PgError
	if !errors.As(err, &re) || re.Version != "2" || !errors.As(err, &pe) || pe.Code != "22012" {
		t.Fatalf("up = %v; want a RunError of 2 wrapping division_by_zero", err)
	}
	if diff := cmp.Diff([]string{"1"}, versionsOf(done)); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if tableExists(t, conn, "half") || tableExists(t, conn, "c") {
		t.Error("the failed migration or the one after it left a table")
	}
	if diff := cmp.Diff([]string{"1:applied", "2:pending", "3:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	// A failing down part leaves the migration applied.
	badDown := File{Name: "1_a.sql", Content: fileA.Content}
	if err := Repair(ctx, conn, mustParse(t, badDown), RepairReverted, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	badDown.Content = "-- +migrate Up\ncreate table a (id int);\n-- +migrate Down\ndrop table a;\ndrop table nope;\n"
	down := mustParse(t, badDown)
	if err := Repair(ctx, conn, down, RepairApplied, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Down(ctx, conn, down, 1); !errors.As(err, &re) || !re.Down {
		t.Errorf("down = %v, want a RunError", err)
	}
	if !tableExists(t, conn, "a") {
		t.Error("a failed down part dropped the table")
	}
	if diff := cmp.Diff([]string{"1:applied"}, states(t, conn, down)); diff != "" {
		t.Errorf("status after failed down (-want +got):\n%s", diff)
	}
}

func TestCommitInFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	migs := mustParse(t, File{Name: "1_commit.sql", Content: "create table x (id int);\ncommit;\n"})
	var re *RunError
	if _, err := Up(ctx, conn, migs, UpOptions{}); !errors.As(err, &re) || !errors.Is(err, ErrTxEnded) {
		t.Fatalf("up of a file that commits = %v, want a RunError", err)
	}
	if diff := cmp.Diff([]string{"1:pending"}, states(t, conn, migs)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

func TestOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	if _, err := Up(ctx, conn, mustParse(t, fileB), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	migs := mustParse(t, fileA, fileB, fileC)
	if done, err := Up(ctx, conn, migs, UpOptions{}); !errors.Is(err, ErrOutOfOrder) || len(done) != 0 {
		t.Errorf("up with an early pending file = %v, %v; want ErrOutOfOrder", versionsOf(done), err)
	}
	done, err := Up(ctx, conn, migs, UpOptions{IncludeAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "3"}, versionsOf(done)); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
}

// TestSupabaseHistory: a database with Supabase CLI's table and rows keeps
// its history; our columns are added on the first run.
func TestSupabaseHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDB(t))
	if _, err := conn.Exec(ctx, `create schema supabase_migrations;
		create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text);
		insert into supabase_migrations.schema_migrations values ('1', '{"create table a (id int)"}', 'a');
		create table a (id int);`); err != nil {
		t.Fatal(err)
	}
	migs := mustParse(t, fileA, fileB)
	es, err := Status(ctx, conn, migs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{Version: "1", Name: "a", State: StateApplied, HasDown: true}, {Version: "2", Name: "b", State: StatePending, HasDown: true}}
	if diff := cmp.Diff(want, es); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if done, err := Up(ctx, conn, migs, UpOptions{}); err != nil || len(done) != 1 {
		t.Fatalf("up = %v, %v", versionsOf(done), err)
	}
	applied, err := Applied(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 || applied[0].Checksum != "" || applied[1].Checksum != migs[1].Checksum || applied[1].AppliedAt.IsZero() {
		t.Errorf("records = %+v", applied)
	}
}

// TestConcurrentUp: runners started together apply each migration once.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, "create table runs (version text)"); err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, v := range []string{"1", "2", "3", "4"} {
		files = append(files, File{Name: v + "_m.sql", Content: "insert into runs values ('" + v + "');\n"})
	}
	migs := mustParse(t, files...)
	const runners = 4
	conns := make([]*pgx.Conn, runners)
	for i := range conns {
		conns[i] = connect(t, db)
	}
	var wg sync.WaitGroup
	results := make([][]Migration, runners)
	errs := make([]error, runners)
	for i := range runners {
		wg.Go(func() { results[i], errs[i] = Up(ctx, conns[i], migs, UpOptions{}) })
	}
	wg.Wait()
	var all []string
	for i := range runners {
		if errs[i] != nil {
			t.Errorf("runner %d: %v", i, errs[i])
		}
		all = append(all, versionsOf(results[i])...)
	}
	slices.Sort(all)
	if diff := cmp.Diff([]string{"1", "2", "3", "4"}, all); diff != "" {
		t.Errorf("applied across runners (-want +got):\n%s", diff)
	}
	rows, err := db.Pool.Query(ctx, "select version from runs order by version")
	if err != nil {
		t.Fatal(err)
	}
	ran, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4"}, ran, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("migrations ran (-want +got):\n%s", diff)
	}
}

package tenant

import (
	"errors"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/pgcode"
)

func TestSizeQuotaMakesProjectReadOnly(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	ctx := t.Context()
	ref := uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
	if _, err := m.Create(ctx, CreateOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	if err := m.quotas.SetLimits(ctx, ref, Limits{DBSizeLimit: 1}); err != nil { // any database is larger
		t.Fatal(err)
	}
	if err := m.quotas.QuotaError(ref); !errors.Is(err, ErrOverQuota) {
		t.Fatalf("QuotaError = %v, want ErrOverQuota", err)
	}
	pool, err := m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, "create temporary table t (x int)")
	if !pgcode.Is(err, pgcode.ReadOnlySQLTransaction) { // read_only_sql_transaction
		t.Errorf("write over quota = %v, want a read-only refusal", err)
	}
	if err := m.quotas.SetLimits(ctx, ref, Limits{}); err != nil {
		t.Fatal(err)
	}
	if err := m.quotas.QuotaError(ref); err != nil {
		t.Errorf("QuotaError after lifting the limit = %v", err)
	}
	pool, err = m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "select 1"); err != nil {
		t.Fatal(err)
	}
	var ro string
	if err := pool.QueryRow(ctx, "show default_transaction_read_only").Scan(&ro); err != nil || ro != "off" {
		t.Errorf("read only after lifting = %q (%v)", ro, err)
	}
	if err := m.quotas.SetLimits(ctx, ref, Limits{MaxConnections: -1}); !errors.Is(err, ErrInvalidLimits) {
		t.Errorf("negative limit = %v", err)
	}
}

func TestStatementTimeoutLimit(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	ctx := t.Context()
	ref := uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
	if _, err := m.Create(ctx, CreateOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	if err := m.quotas.SetLimits(ctx, ref, Limits{StatementTimeout: 50 * time.Millisecond, MaxConnections: 3}); err != nil {
		t.Fatal(err)
	}
	pool, err := m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := pool.Config().MaxConns; got != 3 {
		t.Errorf("pool max conns = %d, want 3", got)
	}
	if _, err := pool.Exec(ctx, "select pg_sleep(5)"); !pgcode.Is(err, pgcode.QueryCanceled) { // query_canceled
		t.Errorf("long statement = %v, want a statement timeout", err)
	}
	p, _ := m.projects.Project(ref)
	if p.Limits.StatementTimeout != 50*time.Millisecond {
		t.Errorf("limits = %+v", p.Limits)
	}
}

package rest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
)

// swapPools serves one pool for every project, which a test may replace.
type swapPools struct{ p atomic.Pointer[pgxpool.Pool] }

func (s *swapPools) set(p *pgxpool.Pool) { s.p.Store(p) }

func (s *swapPools) Pool(context.Context, string) (*pgxpool.Pool, error) { return s.p.Load(), nil }

// TestLoginRoleWithoutPrivileges: the API logs in as a role that may do
// nothing but switch to the API roles (as the tenant's login roles), so a
// statement on an exposed schema that only the API roles may use must be
// parsed under the request's role — on a fresh connection too.
func TestLoginRoleWithoutPrivileges(t *testing.T) {
	t.Parallel()
	sp := &swapPools{}
	e := newEnv(t, Config{Schemas: []string{"public", "api"}}, func(o *envOptions) {
		sp.set(o.pools.(poolProjects).pool)
		o.pools = sp
	})
	ctx := t.Context()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	role, password := "rest_login_"+hex.EncodeToString(b), hex.EncodeToString(b)
	if _, err := e.db.Pool.Exec(ctx, `create schema api; grant usage on schema api to anon;
		create table api.things (id int primary key, name text); grant select on api.things to anon;
		insert into api.things values (1, 'thing');
		create schema private; create table private.secrets (id int); grant select on private.secrets to anon;
		create role `+pgx.Identifier{role}.Sanitize()+` login noinherit password '`+password+`';
		grant anon to `+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.db.Pool.Exec(context.Background(), "drop owned by "+pgx.Identifier{role}.Sanitize()+"; drop role "+pgx.Identifier{role}.Sanitize())
	})
	u, err := url.Parse(e.db.ConnString)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	// The same server, its projects' pools now logging in as role.
	sp.set(pool)
	e.waitStatus(t, "/rpc/add?a=1", 200)

	for range 3 { // fresh connections, then prepared ones
		runScenarios(t, e, []scenario{
			{name: "exposed schema", path: "/things?select=name", header: map[string]string{"Accept-Profile": "api"}, status: 200, want: `[{"name":"thing"}]`},
			{name: "schema anon may not use", path: "/secrets", header: map[string]string{"Accept-Profile": "private"}, status: 406, has: []string{"PGRST106"}},
		})
	}
	// A statement anon may not run still fails as anon's.
	if _, err := e.db.Pool.Exec(ctx, "revoke usage on schema api from anon"); err != nil {
		t.Fatal(err)
	}
	pool.Reset() // drop the connections that have the statement prepared
	e.check(t, scenario{path: "/things?select=name", header: map[string]string{"Accept-Profile": "api"}, status: 401, has: []string{`"code":"42501"`}})

	// GraphQL's statements run the same way.
	if _, err := e.db.Pool.Exec(ctx, "grant usage on schema api to anon"); err != nil {
		t.Fatal(err)
	}
	pool.Reset()
	d, err := e.srv.opts.Gate.Authorize(ctx, "default", gate.Anonymous("anon"), gate.Action{API: gate.APIGraphQL, Schema: "api", Relation: "things", Op: gate.OpRead})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.srv.QueryJSON(ctx, d, false, "/rpc/graphql", "{}", `select json_agg(name) from api.things`, nil)
	if err != nil || string(out) != `["thing"]` {
		t.Errorf("QueryJSON = %s, %v", out, err)
	}
}

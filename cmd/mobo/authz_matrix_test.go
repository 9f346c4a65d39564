package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
)

// TestAuthorizationMatrix probes every surface of a running mobo with every
// kind of credential, as the README's "Who may do what" documents, and
// checks that no row, change or message reaches a refused principal.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	pgAddr := freeAddr(t)
	s := startServer(t, dir, "--pg-listen", pgAddr)
	k := s.keys(t)
	anon, service := k["anon key"], k["service_role key"]
	ctx := t.Context()

	db := projectDB(t, dir, "default")
	mustExec(t, db, `
		create table public.todos (id serial primary key, task text not null);
		alter table public.todos enable row level security;
		create policy todos_read on public.todos for select to anon, authenticated using (true);
		create policy todos_write on public.todos for insert to authenticated with check (true);
		create table public.secrets (id serial primary key, body text);
		alter table public.secrets enable row level security;
		revoke all on public.secrets from anon, authenticated, service_role;
		create function public.echo(x int) returns int language sql immutable as 'select x';
		alter publication supabase_realtime add table public.todos, public.secrets;
		notify pgrst, 'reload schema';`)

	_, signup := s.call(t, "POST", "/auth/v1/signup", anon, anon, `{"email":"matrix@example.com","password":"correct horse battery"}`)
	user, _ := signup["access_token"].(string)
	if user == "" {
		t.Fatalf("signup: %v", signup)
	}
	key := func(args ...string) string {
		t.Helper()
		out, err := cli(dir, "", append([]string{"keys", "create", "--json"}, args...)...)
		var created struct {
			Key    string `json:"key"`
			APIKey struct {
				ID string `json:"id"`
			} `json:"api_key"`
		}
		if i := strings.Index(out, "{"); err != nil || i < 0 || json.Unmarshal([]byte(out[i:]), &created) != nil {
			t.Fatalf("keys create %v: %v\n%s", args, err, out)
		}
		return created.Key + "|" + created.APIKey.ID
	}
	inScope := strings.Split(key("--scope", "rest:*:public.todos", "--scope", "rest:execute:public.echo",
		"--scope", "graphql:*:public.todos", "--scope", "realtime:read:public.todos",
		"--scope", "broadcast:*:room:*", "--scope", "presence:*:room:*", "--scope", "auth:admin"), "|")[0]
	outScope := strings.Split(key("--scope", "rest:*:public.other", "--scope", "graphql:read:public.other",
		"--scope", "realtime:read:public.other", "--scope", "broadcast:*:lobby", "--scope", "presence:*:lobby"), "|")[0]
	revoked := strings.Split(key("--scope", "*:*"), "|")
	if out, err := cli(dir, "", "keys", "revoke", revoked[1]); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	expired := strings.Split(key("--scope", "*:*", "--expires-in", "1s"), "|")[0]
	other := createProject(t, dir, "elsewhere").ServiceKey
	for deadline := time.Now().Add(10 * time.Second); ; { // until the expired key's second ran out
		if st, _ := s.call(t, "GET", "/rest/v1/todos", expired, expired, ""); st == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}

	type cred struct{ name, apikey, bearer string }
	creds := []cred{
		{"none", "", ""},
		{"anon key", anon, anon},
		{"user token", anon, user},
		{"service key", service, service},
		{"scoped key in scope", inScope, inScope},
		{"scoped key out of scope", outScope, outScope},
		{"revoked key", revoked[0], revoked[0]},
		{"expired key", expired, expired},
		{"another project's key", other, other},
	}
	// The documented outcome, one letter per credential in the order
	// above: y allowed, n refused.
	matrix := []struct {
		surface string
		want    string
		probe   func(t *testing.T, c cred) bool
	}{
		{"REST read", "yyyyynnnn", func(t *testing.T, c cred) bool {
			st, _ := s.call(t, "GET", "/rest/v1/todos?select=id", c.apikey, c.bearer, "")
			return st == 200
		}},
		{"REST write", "nnyyynnnn", func(t *testing.T, c cred) bool {
			st, _ := s.call(t, "POST", "/rest/v1/todos", c.apikey, c.bearer, `{"task":"from `+c.name+`"}`)
			return st == 201
		}},
		{"REST RPC", "yyyyynnnn", func(t *testing.T, c cred) bool {
			st, _ := s.call(t, "POST", "/rest/v1/rpc/echo", c.apikey, c.bearer, `{"x":7}`)
			return st == 200
		}},
		{"REST read of a table without grants", "nnnnnnnnn", func(t *testing.T, c cred) bool {
			st, _ := s.call(t, "GET", "/rest/v1/secrets", c.apikey, c.bearer, "")
			return st == 200
		}},
		{"GraphQL query", "yyyyynnnn", func(t *testing.T, c cred) bool {
			return graphqlOK(t, s, c.apikey, c.bearer, `{ todosCollection { edges { node { id } } } }`)
		}},
		{"GraphQL mutation", "nnyyynnnn", func(t *testing.T, c cred) bool {
			return graphqlOK(t, s, c.apikey, c.bearer, `mutation { insertIntotodosCollection(objects: [{task: "gql"}]) { affectedCount } }`)
		}},
		{"realtime changes of a table in scope", "yyyyynnnn", func(t *testing.T, c cred) bool {
			return changesReach(t, s, db, c.apikey, c.bearer, "todos", service)
		}},
		{"realtime changes of a table without grants", "nnnynnnnn", func(t *testing.T, c cred) bool {
			return changesReach(t, s, db, c.apikey, c.bearer, "secrets", service)
		}},
		{"realtime broadcast", "yyyyynnnn", func(t *testing.T, c cred) bool {
			return broadcastReaches(t, s, c.apikey, c.bearer, service)
		}},
		{"realtime presence", "yyyyynnnn", func(t *testing.T, c cred) bool {
			return presenceReaches(t, s, c.apikey, c.bearer, service)
		}},
		{"realtime HTTP broadcast", "yyyyynnnn", func(t *testing.T, c cred) bool {
			return httpBroadcastReaches(t, s, c.apikey, c.bearer, service)
		}},
		{"wire pooler", "nnnynnnnn", func(t *testing.T, c cred) bool {
			pc, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres:%s@%s/default?sslmode=disable", c.bearer, pgAddr))
			if err != nil {
				return false
			}
			defer pc.Close(context.Background())
			var n int
			return pc.QueryRow(ctx, "select count(*) from public.todos").Scan(&n) == nil
		}},
		{"auth admin", "nnnyynnnn", func(t *testing.T, c cred) bool {
			st, _ := s.call(t, "GET", "/auth/v1/admin/users", c.apikey, c.bearer, "")
			return st == 200
		}},
		// The platform's own surfaces take the admin key only (checked to
		// answer it below), never a project's credential.
		{"metrics", "nnnnnnnnn", func(t *testing.T, c cred) bool {
			st1, _ := s.call(t, "GET", "/metrics", c.apikey, c.bearer, "")
			st2, _ := s.call(t, "GET", "/admin/v1/metrics", c.apikey, c.bearer, "")
			return st1 == 200 || st2 == 200
		}},
		{"profiles and status", "nnnnnnnnn", func(t *testing.T, c cred) bool {
			st1, _ := s.call(t, "GET", "/admin/v1/debug/pprof/heap?debug=1", c.apikey, c.bearer, "")
			st2, _ := s.call(t, "GET", "/admin/v1/status", c.apikey, c.bearer, "")
			return st1 == 200 || st2 == 200
		}},
		// The sentinel's and the SLOs' controls: reading incidents, blocking
		// or unblocking, silencing alerts.
		{"sentinel and slo admin", "nnnnnnnnn", func(t *testing.T, c cred) bool {
			ok := false
			for _, p := range [][2]string{
				{"GET", "/admin/v1/sentinel/incidents"},
				{"GET", "/admin/v1/sentinel/blocks"},
				{"DELETE", "/admin/v1/sentinel/blocks?scope=ip&subject=192.0.2.1"},
				{"GET", "/admin/v1/slo/objectives"},
				{"GET", "/admin/v1/slo/silences"},
			} {
				st, _ := s.call(t, p[0], p[1], c.apikey, c.bearer, "")
				ok = ok || st < 300 || st == 404
			}
			return ok
		}},
	}
	for _, path := range []string{
		"/metrics", "/admin/v1/metrics", "/admin/v1/debug/pprof/heap?debug=1", "/admin/v1/status",
		"/admin/v1/sentinel/incidents", "/admin/v1/sentinel/blocks", "/admin/v1/slo/objectives",
	} {
		if st := s.adminCall(t, http.MethodGet, path, nil, nil); st != http.StatusOK {
			t.Errorf("GET %s with the admin key: %d, want 200", path, st)
		}
	}
	for _, m := range matrix {
		t.Run(m.surface, func(t *testing.T) {
			for i, c := range creds {
				want := m.want[i] == 'y'
				if got := m.probe(t, c); got != want {
					t.Errorf("%s with %s: allowed=%v, want %v", m.surface, c.name, got, want)
				}
			}
		})
	}
}

// projectDB connects to project ref's database as the cluster's superuser.
func projectDB(t *testing.T, dir, ref string) *pgx.Conn {
	t.Helper()
	out, err := cli(dir, "", "project", "show", ref, "--json")
	var proj createdProject
	if i := strings.Index(out, "{"); err != nil || i < 0 || json.Unmarshal([]byte(out[i:]), &proj) != nil {
		t.Fatalf("project show %s: %v\n%s", ref, err, out)
	}
	db, err := pgx.Connect(t.Context(), clusterURL(t, dir, proj.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}

func mustExec(t *testing.T, db *pgx.Conn, sql string) {
	t.Helper()
	if _, err := db.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

// graphqlOK reports whether a GraphQL request answered data without errors.
func graphqlOK(t *testing.T, s *server, apikey, bearer, query string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	st, out := s.call(t, "POST", "/graphql/v1", apikey, bearer, string(body))
	_, errs := out["errors"]
	return st == 200 && !errs && out["data"] != nil
}

// rtClient is a minimal Phoenix-channel client (serializer 1.0.0).
type rtClient struct {
	conn *websocket.Conn
	ref  int
	mu   sync.Mutex
	msgs chan rtMsg
}

type rtMsg struct {
	Topic   string          `json:"topic"`
	Event   string          `json:"event"`
	Ref     *string         `json:"ref"`
	Payload json.RawMessage `json:"payload"`
}

// dialRT opens a realtime socket with apikey, or returns nil when refused.
func dialRT(t *testing.T, s *server, apikey string) *rtClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(s.url, "http") + "/realtime/v1/websocket?vsn=1.0.0"
	if apikey != "" {
		u += "&apikey=" + apikey
	}
	conn, resp, err := websocket.Dial(t.Context(), u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil
	}
	c := &rtClient{conn: conn, msgs: make(chan rtMsg, 256)}
	go func() {
		defer close(c.msgs)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var m rtMsg
			if json.Unmarshal(b, &m) == nil {
				c.msgs <- m
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

// push sends a message and returns its ref.
func (c *rtClient) push(t *testing.T, topic, event string, payload any) string {
	t.Helper()
	c.mu.Lock()
	c.ref++
	ref := fmt.Sprint(c.ref)
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": ref})
	if err := c.conn.Write(t.Context(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	return ref
}

// await returns the first message that match accepts within d.
func (c *rtClient) await(d time.Duration, match func(rtMsg) bool) (rtMsg, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return rtMsg{}, false
			}
			if match(m) {
				return m, true
			}
		case <-timer.C:
			return rtMsg{}, false
		}
	}
}

// request pushes and waits for the reply; ok is the reply's status "ok".
func (c *rtClient) request(t *testing.T, topic, event string, payload any) bool {
	t.Helper()
	ref := c.push(t, topic, event, payload)
	m, got := c.await(10*time.Second, func(m rtMsg) bool { return m.Event == "phx_reply" && m.Ref != nil && *m.Ref == ref })
	if !got {
		return false
	}
	var p struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(m.Payload, &p)
	return p.Status == "ok"
}

// join joins topic with config as the bearer token's principal.
func (c *rtClient) join(t *testing.T, topic string, config map[string]any, bearer string) bool {
	t.Helper()
	payload := map[string]any{"config": config}
	if bearer != "" {
		payload["access_token"] = bearer
	}
	return c.request(t, topic, "phx_join", payload)
}

// quietPeriod is how long a refused principal's socket is watched after
// an allowed observer received the same event: the fan-out sends to every
// channel in one pass, so anything owed would have arrived by then.
const quietPeriod = 300 * time.Millisecond

// changesReach joins postgres_changes on table as the credential, inserts
// a row, and reports whether its change reached the credential. An
// observer with the service key proves the change went out.
func changesReach(t *testing.T, s *server, db *pgx.Conn, apikey, bearer, table, service string) bool {
	t.Helper()
	cfg := map[string]any{"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": table}}}
	obs := observer(t, s, service, "realtime:observe-"+table, cfg)
	c := dialRT(t, s, apikey)
	joined := c != nil && c.join(t, "realtime:changes-"+table, cfg, bearer)
	marker := fmt.Sprintf("m%d", time.Now().UnixNano())
	col := map[string]string{"todos": "task", "secrets": "body"}[table]
	mustExec(t, db, fmt.Sprintf("insert into public.%s (%s) values ('%s')", table, col, marker))
	isChange := func(m rtMsg) bool {
		return m.Event == "postgres_changes" && strings.Contains(string(m.Payload), marker)
	}
	if _, ok := obs.await(20*time.Second, isChange); !ok {
		t.Fatalf("the observer did not receive the change of %s", table)
	}
	if c == nil {
		return false
	}
	wait := quietPeriod
	if joined {
		wait = 20 * time.Second
	}
	_, got := c.await(wait, isChange)
	if got && !joined {
		t.Errorf("a change of %s reached a socket whose join was refused", table)
	}
	return joined && got
}

// observer joins topic with the service key: it sees what the credential
// under test managed to send.
func observer(t *testing.T, s *server, service, topic string, config map[string]any) *rtClient {
	t.Helper()
	obs := dialRT(t, s, service)
	if obs == nil || !obs.join(t, topic, config, service) {
		t.Fatal("the observer could not join " + topic)
	}
	return obs
}

// sees reports whether the observer receives event carrying marker: waited
// for when the sender was told it went out (sent), else watched for
// quietPeriod, and then it must not arrive.
func (c *rtClient) sees(t *testing.T, sent bool, event, marker string) bool {
	t.Helper()
	wait := quietPeriod
	if sent {
		wait = 10 * time.Second
	}
	_, got := c.await(wait, func(m rtMsg) bool { return m.Event == event && strings.Contains(string(m.Payload), marker) })
	if got && !sent {
		t.Errorf("a refused %s reached the observer", event)
	}
	return sent && got
}

// broadcastReaches has the credential join room:1 and send a broadcast, and
// reports whether an observer received it.
func broadcastReaches(t *testing.T, s *server, apikey, bearer, service string) bool {
	t.Helper()
	obs := observer(t, s, service, "realtime:room:1", map[string]any{})
	c := dialRT(t, s, apikey)
	if c == nil || !c.join(t, "realtime:room:1", map[string]any{"broadcast": map[string]any{"ack": true}}, bearer) {
		return false
	}
	marker := fmt.Sprintf("b%d", time.Now().UnixNano())
	acked := c.request(t, "realtime:room:1", "broadcast", map[string]any{"type": "broadcast", "event": "e", "payload": map[string]any{"m": marker}})
	return obs.sees(t, acked, "broadcast", marker)
}

// presenceReaches has the credential track presence on room:2, and reports
// whether an observer saw it join.
func presenceReaches(t *testing.T, s *server, apikey, bearer, service string) bool {
	t.Helper()
	presence := map[string]any{"presence": map[string]any{"enabled": true}}
	obs := observer(t, s, service, "realtime:room:2", presence)
	c := dialRT(t, s, apikey)
	if c == nil || !c.join(t, "realtime:room:2", presence, bearer) {
		return false
	}
	marker := fmt.Sprintf("p%d", time.Now().UnixNano())
	tracked := c.request(t, "realtime:room:2", "presence", map[string]any{"type": "presence", "event": "track", "payload": map[string]any{"m": marker}})
	return obs.sees(t, tracked, "presence_diff", marker)
}

// httpBroadcastReaches posts a broadcast to room:3 and reports whether an
// observer received it.
func httpBroadcastReaches(t *testing.T, s *server, apikey, bearer, service string) bool {
	t.Helper()
	obs := observer(t, s, service, "realtime:room:3", map[string]any{})
	marker := fmt.Sprintf("h%d", time.Now().UnixNano())
	st, _ := s.call(t, "POST", "/realtime/v1/api/broadcast", apikey, bearer,
		`{"messages":[{"topic":"room:3","event":"e","payload":{"m":"`+marker+`"}}]}`)
	return obs.sees(t, st == http.StatusAccepted, "broadcast", marker)
}

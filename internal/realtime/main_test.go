package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// superPools gives the component superuser pools: parallel tests share the
// cluster's login roles but not their passwords. RLS still applies, the
// checks SET ROLE to the API roles.
type superPools struct {
	*tenant.Projects
	srv pgtest.Server
}

var (
	bootMu  sync.Mutex
	poolsMu sync.Mutex
	pools   = map[string]*pgxpool.Pool{}
)

func (s superPools) Pool(ctx context.Context, ref string) (*pgxpool.Pool, error) {
	db, err := s.Database(ref)
	if err != nil {
		return nil, err
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if p, ok := pools[db]; ok {
		return p, nil
	}
	p, err := pgxpool.New(ctx, s.srv.ConnString(db))
	if err != nil {
		return nil, err
	}
	pools[db] = p
	return p, nil
}

// env is a running tenant manager and realtime component on a fresh test
// database (the default project's database is <test db>_default).
type env struct {
	t       *testing.T
	rt      *Server
	tenants *tenant.Manager
	srv     pgtest.Server
	url     string // ws://…/realtime/v1/websocket
	http    string // http://…
	super   *pgxpool.Pool
	dbName  string
}

const testDeadline = 20 * time.Second

func boot(t *testing.T, cfg Config) *env {
	t.Helper()
	db := pgtest.NewDB(t)
	srv := pgtest.Server(db.ConnString)
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("MOBO_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: db.Name, Keys: keys}, log)
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	dbName := db.Name + "_default"
	m := tenant.New(tenant.Config{Keys: keys, DefaultDatabase: dbName, DumpDir: t.TempDir()}, cp, srv, "", log)
	rt, err := New(Options{
		Config: cfg, Projects: superPools{m.Projects(), srv}, DB: srv, Bus: kernel.NewBus(kernel.BusLogger(log)), Log: log,
		Gate: gate.New(gate.Options{Authenticator: &gate.SecretAuthenticator{Secret: m.Projects().JWTSecret, AnonymousRole: "anon"}, Pools: superPools{m.Projects(), srv}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.AddSetupHook("realtime", rt.Setup)
	m.AddTeardownHook("realtime", rt.Teardown)
	// tenant's bootstrap creates cluster-wide roles; two at once can collide
	// on a fresh cluster (duplicate key on pg_authid), so boot one at a time.
	bootMu.Lock()
	err = m.Start(t.Context())
	bootMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Stop(context.Background())
		conn, err := pgx.Connect(context.Background(), srv.ConnString("postgres"))
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if err := dropSlot(context.Background(), conn, SlotName(dbName)); err != nil {
			t.Error(err)
		}
		if _, err := conn.Exec(context.Background(), "drop database if exists "+pgx.Identifier{dbName}.Sanitize()+" with (force)"); err != nil {
			t.Error(err)
		}
	})
	if err := rt.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(rt.Handler())
	t.Cleanup(func() {
		if err := rt.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		hs.Close()
		poolsMu.Lock()
		if p, ok := pools[dbName]; ok {
			p.Close()
			delete(pools, dbName)
		}
		poolsMu.Unlock()
	})
	super, err := pgxpool.New(t.Context(), srv.ConnString(dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(super.Close)
	e := &env{
		t: t, rt: rt, tenants: m, srv: srv, super: super, dbName: dbName,
		http: hs.URL, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/realtime/v1/websocket",
	}
	// No slot yet: the first join creates it, before its reply.
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.super.Exec(e.t.Context(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// waitSlot waits until the slot is (in)active, that is, decoded by a capture.
func (e *env) waitSlot(active bool) {
	e.t.Helper()
	poll(e.t, fmt.Sprintf("slot active = %v", active), func() bool {
		var n int
		err := e.super.QueryRow(e.t.Context(), "select count(*) from pg_replication_slots where slot_name = $1 and active", SlotName(e.dbName)).Scan(&n)
		return err == nil && (n > 0) == active
	})
}

// token signs a JWT for the default project.
func (e *env) token(role, sub string) string {
	e.t.Helper()
	secret, err := e.tenants.Projects().JWTSecret(tenant.DefaultRef)
	if err != nil {
		e.t.Fatal(err)
	}
	claims := jwt.MapClaims{"role": role, "exp": time.Now().Add(time.Hour).Unix()}
	if sub != "" {
		claims["sub"] = sub
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// msg is a decoded server message.
type msg struct {
	JoinRef *string
	Ref     *string
	Topic   string
	Event   string
	Payload json.RawMessage
	Binary  []byte // a binary frame, undecoded
}

// client is a websocket test client speaking vsn 2.0.0 (or 1.0.0).
type client struct {
	t    *testing.T
	conn *websocket.Conn
	v2   bool
	in   chan msg
	// backlog holds messages read but not yet asked for.
	backlog []msg
	ref     int
	mu      sync.Mutex
	err     error // the read error that ended the client
	done    chan struct{}
}

func (e *env) dial(apikey, vsn string) *client {
	e.t.Helper()
	c, err := dialRaw(e.t.Context(), e.url, apikey, vsn)
	if err != nil {
		e.t.Fatal(err)
	}
	cl := &client{t: e.t, conn: c, v2: vsn == "2.0.0", in: make(chan msg, 10000), done: make(chan struct{})}
	go cl.readLoop()
	e.t.Cleanup(func() { _ = c.CloseNow(); <-cl.done })
	return cl
}

func dialRaw(ctx context.Context, url, apikey, vsn string) (*websocket.Conn, error) {
	c, resp, err := websocket.Dial(ctx, url+"?apikey="+apikey+"&vsn="+vsn, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(16 << 20)
	return c, nil
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		if typ == websocket.MessageBinary {
			c.in <- msg{Binary: data, Event: evBroadcast}
			continue
		}
		m, err := decodeText(data, c.v2)
		if err != nil {
			c.t.Errorf("undecodable frame %s: %v", data, err)
			return
		}
		c.in <- msg{JoinRef: m.JoinRef, Ref: m.Ref, Topic: m.Topic, Event: m.Event, Payload: m.Payload}
	}
}

// push sends a message and returns its ref.
func (c *client) push(joinRef, topic, event string, payload any) string {
	c.t.Helper()
	c.ref++
	ref := fmt.Sprint(c.ref)
	var jr *string
	if joinRef != "" {
		jr = &joinRef
	}
	f := encodeText(c.v2, jr, &ref, topic, event, mustJSON(payload))
	if err := c.conn.Write(c.t.Context(), websocket.MessageText, f.data); err != nil {
		c.t.Fatal(err)
	}
	return ref
}

// next returns the first message matching pred, skipping others.
func (c *client) next(what string, pred func(msg) bool) msg {
	c.t.Helper()
	for i, m := range c.backlog {
		if pred(m) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return m
		}
	}
	timer := time.NewTimer(testDeadline)
	defer timer.Stop()
	for {
		select {
		case m := <-c.in:
			if pred(m) {
				return m
			}
			c.backlog = append(c.backlog, m)
		case <-c.done:
			c.t.Fatalf("connection ended waiting for %s: %v", what, c.err)
		case <-timer.C:
			c.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *client) reply(ref string) (status string, response json.RawMessage) {
	c.t.Helper()
	m := c.next("reply to "+ref, func(m msg) bool { return m.Event == evReply && m.Ref != nil && *m.Ref == ref })
	var r struct {
		Status   string          `json:"status"`
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.t.Fatal(err)
	}
	return r.Status, r.Response
}

// join joins topic with config and fails unless the reply is ok.
func (c *client) join(topic string, config map[string]any, token string) (joinRef string, response json.RawMessage) {
	c.t.Helper()
	payload := map[string]any{"config": config}
	if token != "" {
		payload["access_token"] = token
	}
	c.ref++
	joinRef = fmt.Sprint(c.ref)
	c.ref--
	ref := c.push(joinRef, topic, evJoin, payload)
	status, resp := c.reply(ref)
	if status != "ok" {
		c.t.Fatalf("join %s: %s %s", topic, status, resp)
	}
	return joinRef, resp
}

// change is the data of a postgres_changes message.
type change struct {
	IDs  []uint32 `json:"ids"`
	Data struct {
		Schema          string         `json:"schema"`
		Table           string         `json:"table"`
		Type            string         `json:"type"`
		EventType       string         `json:"eventType"`
		CommitTimestamp string         `json:"commit_timestamp"`
		Columns         []Column       `json:"columns"`
		Record          map[string]any `json:"record"`
		OldRecord       map[string]any `json:"old_record"`
		Errors          []string       `json:"errors"`
	} `json:"data"`
}

func (c *client) nextChange(topic string) change {
	c.t.Helper()
	m := c.next("a change on "+topic, func(m msg) bool { return m.Event == evPGChanges && m.Topic == topic })
	var ch change
	if err := json.Unmarshal(m.Payload, &ch); err != nil {
		c.t.Fatal(err)
	}
	return ch
}

// Command realtimebench measures the realtime component end to end on a
// throwaway managed PostgreSQL, over loopback websockets:
//
//   - commit-to-delivery latency (p50/p99) of postgres_changes with 1, 100
//     and 1000 subscribed sockets: from just before the INSERT is sent (it
//     commits on its own) to the change's arrival at each socket;
//   - the sustained change rate delivered to 100 subscribers;
//   - as the baseline, the raw logical-replication decode rate: pglogrepl
//     alone streaming pgoutput from a slot of its own, same table, same run.
//
// Subscribers use the anon key, so every change also pays the visibility
// check (one query per batch of waiting changes). The subscribers are
// minimal websocket readers (wsclient.go) and the server the real one: the
// clients share the machine with it and PostgreSQL, and take little of it.
//
//	go run ./cmd/realtimebench -changes 200 -sustained 20000
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg"
	"github.com/magflock/mobo/internal/realtime"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/tenant"
)

func main() {
	changes := flag.Int("changes", 200, "changes per latency run")
	sustained := flag.Int("sustained", 20000, "changes in the sustained-rate run")
	sockets := flag.String("sockets", "1,100,1000", "subscribed sockets of the latency runs")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run (server and clients: one process) to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the run to this file")
	flag.Parse()
	if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				_ = f.Close()
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "realtimebench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "realtimebench:", err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *changes, *sustained, *sockets); err != nil {
		fmt.Fprintln(os.Stderr, "realtimebench:", err)
		os.Exit(1)
	}
}

type bench struct {
	ws     string // ws://…/realtime/v1/websocket
	key    string
	db     *pgx.Conn
	dsn    string
	nextID atomic.Int64
}

func run(ctx context.Context, changes, sustained int, socketList string) error {
	dir, err := os.MkdirTemp("", "rtbench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // postgres's OS user must reach it
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cluster := pg.NewCluster(pg.Config{DataDir: filepath.Join(dir, "pg"), MaxConnections: 300}, log)
	fmt.Println("starting PostgreSQL…")
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = cluster.Stop(context.Background()) }()
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(cluster, controlplane.Options{Keys: keys}, log)
	if err := cp.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = cp.Stop(context.Background()) }()
	tenants := tenant.New(tenant.Config{Keys: keys, DumpDir: filepath.Join(dir, "dumps")}, cp, cluster, "", log)
	projects := struct {
		*tenant.Projects
		*tenant.Connections
	}{tenants.Projects(), tenants.Connections()}
	rt, err := realtime.New(realtime.Options{
		Projects: projects, DB: cluster, Bus: kernel.NewBus(kernel.BusLogger(log)), Log: log,
		Gate:   gate.New(gate.Options{Authenticator: &gate.SecretAuthenticator{Secret: projects.JWTSecret, AnonymousRole: "anon"}, Pools: projects}),
		Config: realtime.Config{SendQueue: 4096},
	})
	if err != nil {
		return err
	}
	tenants.AddSetupHook("realtime", rt.Setup)
	if err := tenants.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = tenants.Stop(context.Background()) }()
	if err := rt.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = rt.Stop(context.Background()) }()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: rt.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()

	secret, err := projects.JWTSecret(tenant.DefaultRef)
	if err != nil {
		return err
	}
	key, err := tenant.SignRoleKey(secret, tenant.DefaultRef, "anon", time.Now())
	if err != nil {
		return err
	}
	dbName, err := projects.Database(tenant.DefaultRef)
	if err != nil {
		return err
	}
	b := &bench{ws: "ws://" + ln.Addr().String() + "/realtime/v1/websocket", key: key, dsn: cluster.ConnString(dbName)}
	if b.db, err = pgx.Connect(ctx, b.dsn); err != nil {
		return err
	}
	defer b.db.Close(context.Background())
	if _, err := b.db.Exec(ctx, `create table public.bench (id bigint primary key, v text not null);
		grant select on public.bench to anon, authenticated;
		alter publication supabase_realtime add table public.bench`); err != nil {
		return err
	}
	loadAvg("at the start")
	defer loadAvg("at the end")
	fmt.Printf("\nrealtime commit-to-delivery latency (%d changes, one at a time, anon key, RLS visibility checked)\n", changes)
	for _, f := range bytes.Split([]byte(socketList), []byte(",")) {
		n, err := strconv.Atoi(string(f))
		if err != nil {
			return fmt.Errorf("-sockets: %w", err)
		}
		if err := b.latency(ctx, n, changes); err != nil {
			return err
		}
	}
	if err := b.throughput(ctx, 100, sustained); err != nil {
		return err
	}
	return b.decodeBaseline(ctx, sustained)
}

// arrival is a change's id and when a socket got it.
type arrival struct {
	id int64
	at time.Time
}

// subscriber is one socket; it counts and timestamps the changes it gets.
type subscriber struct {
	conn *wsConn
	mu   sync.Mutex
	got  []arrival
	n    atomic.Int64
	err  atomic.Pointer[error]
}

// subscribe joins n sockets, each expecting about changes changes.
func (b *bench) subscribe(ctx context.Context, n, changes int) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	for i := range subs {
		c, err := dialWS(ctx, b.ws+"?vsn=2.0.0&apikey="+b.key)
		if err != nil {
			return subs[:i], err
		}
		s := &subscriber{conn: c, got: make([]arrival, 0, changes)}
		subs[i] = s
		join := `["1","1","realtime:bench","phx_join",{"config":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"bench"}]}}]`
		if err := c.writeText([]byte(join)); err != nil {
			return subs[:i+1], err
		}
		for { // wait for the join reply
			data, err := c.next()
			if err != nil {
				return subs[:i+1], err
			}
			if bytes.Contains(data, []byte(`"phx_reply"`)) {
				if !bytes.Contains(data, []byte(`"ok"`)) {
					return subs[:i+1], fmt.Errorf("join refused: %s", data)
				}
				break
			}
		}
		go s.read()
	}
	return subs, nil
}

var idKey = []byte(`"record":{"id":`)

// read counts the changes until the socket is closed.
func (s *subscriber) read() {
	for {
		data, err := s.conn.next()
		if err != nil {
			s.err.Store(&err)
			return
		}
		now := time.Now()
		i := bytes.Index(data, idKey)
		if i < 0 {
			continue
		}
		rest := data[i+len(idKey):]
		j := bytes.IndexAny(rest, ",}")
		if j < 0 {
			continue
		}
		id, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.got = append(s.got, arrival{id, now})
		s.mu.Unlock()
		s.n.Add(1)
	}
}

func closeAll(subs []*subscriber) {
	for _, s := range subs {
		s.conn.close()
	}
}

func (b *bench) insert(ctx context.Context, n int) (first int64, err error) {
	first = b.nextID.Add(int64(n)) - int64(n) + 1
	_, err = b.db.Exec(ctx, `insert into public.bench (id, v) select g, 'x' from generate_series($1::int8, $2::int8) g`, first, first+int64(n)-1)
	return first, err
}

func waitCount(ctx context.Context, subs []*subscriber, want int64) error {
	for {
		done := true
		for _, s := range subs {
			if s.n.Load() < want {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			lag, ended := 0, 0
			var last error
			for _, s := range subs {
				if s.n.Load() < want {
					lag++
				}
				if e := s.err.Load(); e != nil {
					ended++
					last = *e
				}
			}
			if os.Getenv("RTBENCH_DUMP") != "" {
				_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			}
			return fmt.Errorf("waiting for deliveries (%d sockets behind, %d ended): %w", lag, ended, errors.Join(ctx.Err(), last))
		case <-time.After(200 * time.Microsecond):
		}
	}
}

func (b *bench) latency(ctx context.Context, sockets, changes int) error {
	subs, err := b.subscribe(ctx, sockets, changes)
	defer closeAll(subs)
	if err != nil {
		return err
	}
	sent := map[int64]time.Time{}
	for i := range changes {
		start := time.Now()
		id, err := b.insert(ctx, 1)
		if err != nil {
			return err
		}
		sent[id] = start
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = waitCount(wctx, subs, int64(i+1))
		cancel()
		if err != nil {
			return fmt.Errorf("%d sockets, change %d: %w", sockets, i, err)
		}
	}
	var lat []time.Duration
	for _, s := range subs {
		s.mu.Lock()
		for _, a := range s.got {
			id, at := a.id, a.at
			if t0, ok := sent[id]; ok {
				lat = append(lat, at.Sub(t0))
			}
		}
		s.mu.Unlock()
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("  %5d sockets: p50 %8s  p99 %8s  max %8s  (%d deliveries)\n", sockets,
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), len(lat))
	return nil
}

func (b *bench) throughput(ctx context.Context, sockets, changes int) error {
	subs, err := b.subscribe(ctx, sockets, changes)
	defer closeAll(subs)
	if err != nil {
		return err
	}
	// The producer does not wait for each commit's flush: the rate measured
	// is the pipeline's, not the disk's.
	if _, err := b.db.Exec(ctx, "set synchronous_commit = off"); err != nil {
		return err
	}
	defer func() { _, _ = b.db.Exec(context.Background(), "set synchronous_commit = on") }()
	start := time.Now()
	const batch = 100 // rows per transaction
	for sent := 0; sent < changes; sent += batch {
		if _, err := b.insert(ctx, min(batch, changes-sent)); err != nil {
			return err
		}
	}
	committed := time.Since(start)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := waitCount(wctx, subs, int64(changes)); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("\nsustained: %d changes (%d rows per transaction) to %d sockets in %s (committed in %s)\n", changes, batch, sockets, el.Round(time.Millisecond), committed.Round(time.Millisecond))
	fmt.Printf("  %8.0f changes/s, %9.0f deliveries/s\n", float64(changes)/el.Seconds(), float64(changes*sockets)/el.Seconds())
	return nil
}

// decodeBaseline streams a fresh slot with pglogrepl alone and counts the
// decoded inserts of the same kind of workload.
func (b *bench) decodeBaseline(ctx context.Context, changes int) error {
	const slot = "rtbench_baseline"
	if _, err := b.db.Exec(ctx, "select pg_create_logical_replication_slot($1, 'pgoutput')", slot); err != nil {
		return err
	}
	defer func() { // once the walsender let the slot go
		for range 100 {
			var left bool
			err := b.db.QueryRow(context.Background(), `select exists (select from pg_replication_slots where slot_name = $1)`, slot).Scan(&left)
			if err != nil || !left {
				return
			}
			_, _ = b.db.Exec(context.Background(), "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1 and not active", slot)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	const batch = 100
	for sent := 0; sent < changes; sent += batch {
		if _, err := b.insert(ctx, min(batch, changes-sent)); err != nil {
			return err
		}
	}
	cfg, err := pgconn.ParseConfig(b.dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["replication"] = "database"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	start := time.Now()
	if err := pglogrepl.StartReplication(ctx, conn, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names 'supabase_realtime'"},
	}); err != nil {
		return err
	}
	inserts := 0
	for inserts < changes {
		raw, err := conn.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		cd, ok := raw.(*pgproto3.CopyData)
		if !ok {
			if er, ok := raw.(*pgproto3.ErrorResponse); ok {
				return pgconn.ErrorResponseToPgError(er)
			}
			continue
		}
		if len(cd.Data) == 0 || cd.Data[0] != pglogrepl.XLogDataByteID {
			continue
		}
		x, err := pglogrepl.ParseXLogData(cd.Data[1:])
		if err != nil {
			return err
		}
		m, err := pglogrepl.Parse(x.WALData)
		if err != nil {
			return err
		}
		if _, ok := m.(*pglogrepl.InsertMessage); ok {
			inserts++
		}
	}
	el := time.Since(start)
	fmt.Printf("\nbaseline, pglogrepl alone: %d inserts decoded in %s: %8.0f changes/s\n", inserts, el.Round(time.Millisecond), float64(inserts)/el.Seconds())
	return nil
}

// loadAvg prints the machine's load average where the system tells it:
// server, clients and PostgreSQL share the machine with whatever else runs,
// and the figures are only as good as the machine was quiet.
func loadAvg(when string) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	if f := bytes.Fields(b); len(f) >= 3 {
		fmt.Printf("\nload average %s (1, 5, 15 min): %s %s %s on %d CPUs\n", when, f[0], f[1], f[2], runtime.NumCPU())
	}
}

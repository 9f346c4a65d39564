package rest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/sentinel"
)

// BenchmarkSentinelOnOff is what the sentinel costs on the request path:
// GET by primary key through the gateway to /rest/v1, at 1 and 32
// clients, with the sentinel off, and on (the gateway's address check
// and event recording to every behaviour agent, the gate's principal
// check and value inspection by every value agent), in alternating
// rounds in one process, with an off/off control as the noise floor. Run
// it with make bench-sentinel.
func BenchmarkSentinelOnOff(b *testing.B) {
	pool, srv := benchServer(b)
	sent := benchSentinel(b)
	g := testGate()
	g.Pools, g.Watch = poolProjects{pool}, sent
	watched := New(Options{Gate: gate.New(g), Catalog: newCatalog(b, poolProjects{pool}, nil, Config{}, 0)})
	if err := watched.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = watched.Stop(context.Background()) })
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	gw.SetWatcher(sent)
	gw.Handle("/rest/v1/", watched.Handler())
	if err := gw.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.Stop(context.Background()) })
	gws := [3]string{benchGateway(b, srv, nil), gw.URL(), benchGateway(b, srv, nil)}
	key := token(b, jwt.MapClaims{"role": "anon"})
	cpu := newCPUMeter(b, pool)
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("pk/c%d", clients), func(b *testing.B) {
			onOff(b, "sentinel", gws, key, clients, cpu)
		})
	}
	if st := sent.Stats(); b.N > 1 && st.Inspected == 0 {
		b.Errorf("the sentinel inspected no value")
	}
}

// benchSentinel is the standard sentinel on a control plane of its own.
func benchSentinel(b *testing.B) *sentinel.Sentinel {
	b.Helper()
	db := pgtest.NewDB(b)
	cp := controlplane.New(pgtest.Server(db.ConnString), controlplane.Options{ExternalDatabase: db.Name, Keys: secrets.NewRandomKeyring()}, slog.New(slog.DiscardHandler))
	if err := cp.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cp.Stop(context.Background()) })
	// The benchmark's one client sends thousands of requests a second:
	// allow-listed, so that APIWatch's flood finding (which it earns)
	// does not block it; every agent still sees every request.
	o, err := sentinel.Standard(sentinel.Config{Allow: sentinel.AllowConfig{IPs: []string{"127.0.0.1"}}}, sentinel.Options{Store: cp})
	if err != nil {
		b.Fatal(err)
	}
	s := sentinel.New(o)
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

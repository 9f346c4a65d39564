package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/graphql"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/metrics"
	"github.com/magflock/mobo/internal/pg"
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/realtime"
	"github.com/magflock/mobo/internal/rest"
	"github.com/magflock/mobo/internal/schemacache"
	"github.com/magflock/mobo/internal/sentinel"
	"github.com/magflock/mobo/internal/slo"
	"github.com/magflock/mobo/internal/tenant"
	"github.com/magflock/mobo/internal/tracing"
)

// stopTimeout bounds the whole shutdown after SIGINT/SIGTERM.
const stopTimeout = 30 * time.Second

func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the platform (a managed PostgreSQL unless --database-url is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, res, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := kernel.NewLogger(os.Stderr, cfg.Log)
			for _, w := range res.Warnings {
				log.Warn(w)
			}
			if res.File != "" {
				log.Info("config file read", "file", res.File)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, stop, cfg, log, cmd.OutOrStdout())
		},
	}
}

// platform is the assembled server: its kernel and the components main needs
// to talk to after boot.
type platform struct {
	kernel  *kernel.Kernel
	gateway *gateway.Gateway
	tenants *tenant.Manager
	admin   *admin.API
	pgwire  *pgwire.Server // nil unless --pg-listen is set
	tracing *tracing.Provider
	mode    string
	dbDesc  string
}

// assemble builds every component and registers them with a kernel. This is
// the one place where components are listed.
func assemble(cfg Config, log *slog.Logger) (*platform, error) {
	// Every log line of a traced request carries its trace_id.
	log = slog.New(tracing.LogHandler(log.Handler()))
	tp, err := tracing.New(cfg.Tracing, tracing.Options{Version: versionString(), Logger: kernel.ComponentLogger(log, "tracing")})
	if err != nil {
		return nil, err
	}
	p := &platform{tracing: tp}
	var (
		db  kernel.Component
		srv interface {
			ConnString(database string) string
			CreateDatabase(ctx context.Context, db string) error
		}
		external string
	)
	if cfg.managed() {
		pgCfg := cfg.Postgres
		pgCfg.DataDir = cfg.pgDataDir()
		cluster := pg.NewCluster(pgCfg, kernel.ComponentLogger(log, "postgres"))
		db, srv, p.mode, p.dbDesc = cluster, cluster, "managed", "managed cluster in "+pgCfg.DataDir
	} else {
		ext, err := pg.NewExternal(cfg.DatabaseURL, kernel.ComponentLogger(log, "postgres"))
		if err != nil {
			return nil, err
		}
		db, srv, external, p.mode, p.dbDesc = ext, ext, ext.Database(), "external", ext.Redacted()
	}
	keys, err := secrets.Load(cfg.Secrets, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: external, Keys: keys}, kernel.ComponentLogger(log, "controlplane"))
	p.tenants = tenant.New(tenant.Config{
		Keys:                keys,
		JWTSecret:           cfg.JWTSecret,
		DumpDir:             filepath.Join(cfg.DataDir, "dumps"),
		PoolMaxConns:        cfg.Projects.PoolMaxConns,
		ReservedConnections: cfg.Projects.ReservedConnections,
		PoolIdleTimeout:     cfg.Projects.PoolIdleTimeout,
		StatementTimeout:    cfg.Projects.StatementTimeout,
		QuotaCheckInterval:  cfg.Projects.QuotaCheckInterval,
		ActiveBackends:      cfg.Projects.ActiveBackends,
	}, cp, srv, external, kernel.ComponentLogger(log, "tenant"))
	bus := kernel.NewBus(kernel.BusLogger(kernel.ComponentLogger(log, "bus")))
	// The sentinel watches the one request path: the gateway (addresses,
	// every answered request), the gate (principals, every statement's
	// values) and auth (accounts).
	sentOpts, err := sentinel.Standard(cfg.Sentinel, sentinel.Options{
		Store: cp, Bus: bus, Logger: kernel.ComponentLogger(log, "sentinel"),
	})
	if err != nil {
		return nil, err
	}
	sent := sentinel.New(sentOpts)
	authSvc := auth.New(cfg.Auth, newAuthTenant(p.tenants), srv, kernel.ComponentLogger(log, "auth"),
		auth.WithSettings(p.tenants.Settings()), auth.WithGuard(sent))
	sent.SetResponder(authSvc)
	// The one request path: every API authenticates and authorizes
	// through the gate, whose decisions alone run SQL as a principal.
	conns := p.tenants.Connections()
	gateOpts := gate.Options{
		Authenticator: authSvc.Authenticator("anon"), Roles: authSvc.Authorizer(), Quota: p.tenants.Quotas(),
		Pools: conns, Share: conns, Watch: sent,
	}
	if tp.Enabled() {
		gateOpts.Tracer, gateOpts.TraceStatements = tp.TracerProvider(), tp.Statements()
	}
	gt := gate.New(gateOpts)
	// One schema catalog per project, read by REST and GraphQL; its
	// listeners hold slots of the connection budget.
	cat := schemacache.New(schemacache.Options{
		Pools:   conns,
		Holder:  conns,
		Exposed: rest.ExposedSchemas(cfg.REST, p.tenants.Settings()),
		Logger:  kernel.ComponentLogger(log, "schemacache"),
	})
	restSrv := rest.New(rest.Options{
		Config:   cfg.REST,
		Settings: p.tenants.Settings(),
		Catalog:  cat,
		Gate:     gt,
		Logger:   kernel.ComponentLogger(log, "rest"),
	})
	gqlSrv := graphql.New(graphql.Options{Config: cfg.GraphQL, Catalog: cat, Backend: restSrv, Gate: gt, Logger: kernel.ComponentLogger(log, "graphql")})
	rt, err := realtime.New(realtime.Options{
		Config:   cfg.Realtime,
		Projects: newPoolTenant(p.tenants),
		DB:       srv,
		Gate:     gt,
		Bus:      bus,
		Log:      kernel.ComponentLogger(log, "realtime"),
	})
	if err != nil {
		return nil, err
	}
	p.tenants.AddSetupHook("realtime", rt.Setup)
	p.tenants.AddTeardownHook("realtime", rt.Teardown)
	p.gateway = gateway.New(cfg.HTTP, kernel.ComponentLogger(log, "gateway"), "tenant", "admin", "auth", "rest", "graphql", "realtime", "sentinel")
	p.gateway.Handle("/realtime/v1/", rt.Handler())
	p.gateway.Handle("/rest/v1/", restSrv.Handler())
	p.gateway.Handle("/graphql/v1", gqlSrv.Handler())
	p.gateway.Handle(auth.Prefix, authSvc.Handler())
	p.tenants.AddSetupHook("auth", authSvc.SetupProject)
	p.tenants.AddTeardownHook("auth", authSvc.ForgetProject)
	p.tenants.AddTeardownHook("gateway", p.gateway.ForgetProject) // its metrics' series
	p.tenants.AddChangeHook("auth", authSvc.ProjectChanged)
	p.tenants.AddChangeHook("schemacache", cat.ProjectChanged) // a new snapshot brings REST's and GraphQL's new settings, on every node
	// After auth's: realtime checks its channels' tokens against the new
	// secret.
	p.tenants.AddChangeHook("realtime", rt.ProjectChanged)
	p.gateway.SetProjects(p.tenants.Projects())
	p.gateway.SetWatcher(sent)
	if tp.Enabled() {
		p.gateway.SetTracer(tp.TracerProvider())
	}
	reg := metrics.New()
	httpReg := prometheus.NewRegistry() // the HTTP metrics alone, which the SLO engine reads
	if err := p.gateway.SetMetrics(teeRegisterer{reg, httpReg}); err != nil {
		return nil, err
	}
	if err := reg.Add(conns.Collector(), authSvc.Collector(), rt.Collector(), sent.Collector(),
		metrics.PostgreSQL(srv, kernel.ComponentLogger(log, "metrics"))); err != nil {
		return nil, err
	}
	// The SLO engine reads the HTTP metrics: no hook in the gateway.
	slos := slo.New(slo.Options{Config: cfg.SLO, Gatherer: httpReg, Store: cp, Bus: bus, Logger: kernel.ComponentLogger(log, "slo")})
	if err := reg.Add(slos.Collector()); err != nil {
		return nil, err
	}
	p.admin = admin.New(admin.Options{
		Keys:      cp,
		Info:      admin.Info{Version: versionString(), Mode: p.mode, Database: p.dbDesc},
		Projects:  projectAdmin{m: p.tenants, quotas: p.tenants.Quotas(), baseURL: p.gateway.URL, dumpDir: filepath.Join(cfg.DataDir, "dumps"), requests: p.gateway.Requests},
		Databases: admin.NewMigrator(projectDatabases{p.tenants.Connections(), p.tenants.Quotas()}, cp, kernel.ComponentLogger(log, "admin")),
		REST:      restSrv,
		Auth:      authSvc,
		Details:   map[string]func() any{"connections": func() any { return p.tenants.Connections().Stats() }},
		Metrics:   reg.Handler(),
		Sections:  map[string]http.Handler{"sentinel": sent.Handler(), "slo": slos.Handler()},
		Logger:    kernel.ComponentLogger(log, "admin"),
	})
	adminHandler := p.admin.Handler()
	p.gateway.Handle("/admin/v1/", adminHandler)
	p.gateway.Handle("GET /metrics", adminHandler)

	components := []kernel.Component{db, cp, sent, slos, p.tenants, p.admin, authSvc, cat, restSrv, gqlSrv, rt, p.gateway}
	if cfg.PGWire.Enabled() {
		p.pgwire = pgwire.New(cfg.PGWire, newPoolTenant(p.tenants), kernel.ComponentLogger(log, "pgwire"))
		p.tenants.AddChangeHook("pgwire", p.pgwire.ProjectChanged) // sessions of a rotated key end
		components = append(components, p.pgwire)
	}
	k, err := kernel.New(kernel.Options{Logger: log}, components...)
	if err != nil {
		return nil, err
	}
	p.kernel = k
	if err := reg.Add(metrics.Components(k)); err != nil {
		return nil, err
	}
	p.gateway.SetReadiness(k)
	p.admin.SetSource(k)
	return p, nil
}

// serve runs the platform until ctx ends. stopSignals restores the default
// signal handling once shutdown begins, so a second Ctrl-C ends mobo at once.
func serve(ctx context.Context, stopSignals func(), cfg Config, log *slog.Logger, out io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil { //nolint:gosec // the managed cluster's OS user must traverse it
		return fmt.Errorf("creating data dir: %w", err)
	}
	p, err := assemble(cfg, log)
	if err != nil {
		return err
	}
	defer p.flushSpans(ctx, log) // after the kernel stopped: the gateway has drained
	begin := time.Now()
	if err := p.kernel.Start(ctx); err != nil {
		if ctx.Err() != nil { // interrupted while booting: what started has been stopped
			log.Info("interrupted during start")
			return nil
		}
		return explainStartError(err)
	}
	stopAll := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer cancel()
		return p.kernel.Stop(sctx)
	}
	proj, err := p.tenants.Projects().Project(tenant.DefaultRef)
	if err != nil {
		return errors.Join(err, stopAll())
	}
	info := serverInfo{
		URL: p.gateway.URL(), AdminKey: p.admin.Key(), PID: os.Getpid(), Mode: p.mode,
		DataDir: absPath(cfg.DataDir), StartedAt: time.Now().UTC(), Version: versionString(),
	}
	if err := writeServerInfo(cfg.DataDir, info); err != nil {
		return errors.Join(err, stopAll())
	}
	defer removeServerInfo(cfg.DataDir, info.PID)

	anon, service, admin := proj.AnonKey, proj.ServiceKey, info.AdminKey
	if !isTerminal(out) {
		// Output that is not a terminal ends up in log files: no secrets
		// there. Scripts read the keys from the CLI and server.json.
		anon = "(not printed off a terminal: mobo project show default)"
		service, admin = anon, "(not printed off a terminal: <data dir>/server.json, mode 0600)"
	}
	fmt.Fprintf(out, `
  MagFlock is running (%s PostgreSQL, ready in %s)

  API URL          %s
  REST             %s/rest/v1
  anon key         %s
  service_role key %s
  admin key        %s
  data dir         %s
  database         %s%s

  Press Ctrl-C to stop.
`, p.mode, time.Since(begin).Round(time.Millisecond), info.URL, info.URL, anon, service, admin, info.DataDir, p.dbDesc, poolerLine(p.pgwire))

	<-ctx.Done()
	stopSignals()
	log.Info("shutting down")
	return stopAll()
}

// flushSpans exports the spans still buffered, within 5 s.
func (p *platform) flushSpans(ctx context.Context, log *slog.Logger) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.tracing.Shutdown(sctx); err != nil {
		log.Warn("flushing spans", "err", err)
	}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// explainStartError turns boot failures into advice where we have some.
func explainStartError(err error) error {
	var nb *pg.BinariesNotFoundError
	if errors.As(err, &nb) {
		return &exitError{code: 2, msg: nb.Error()}
	}
	return err
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// serverInfo is written to <data dir>/server.json while a server runs, so
// that the CLI finds it.
type serverInfo struct {
	URL       string    `json:"url"`
	AdminKey  string    `json:"admin_key"`
	PID       int       `json:"pid"`
	Mode      string    `json:"mode"`
	DataDir   string    `json:"data_dir"`
	StartedAt time.Time `json:"started_at"`
	Version   string    `json:"version"`
}

const serverInfoFile = "server.json"

func writeServerInfo(dataDir string, info serverInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dataDir, serverInfoFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing server info: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dataDir, serverInfoFile))
}

// removeServerInfo removes server.json if it is still ours.
func removeServerInfo(dataDir string, pid int) {
	info, err := readServerInfo(dataDir)
	if err == nil && info.PID == pid {
		_ = os.Remove(filepath.Join(dataDir, serverInfoFile))
	}
}

func readServerInfo(dataDir string) (serverInfo, error) {
	var info serverInfo
	b, err := os.ReadFile(filepath.Join(dataDir, serverInfoFile))
	if err != nil {
		return info, err
	}
	err = json.Unmarshal(b, &info)
	return info, err
}

package slo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// controlPlane is a started control plane on a fresh database.
func controlPlane(t testing.TB) *controlplane.ControlPlane {
	t.Helper()
	db := pgtest.NewDB(t)
	cp := controlplane.New(pgtest.Server(db.ConnString), controlplane.Options{ExternalDatabase: db.Name, Keys: secrets.NewRandomKeyring()}, slog.New(slog.DiscardHandler))
	if err := cp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	return cp
}

// api is the real gateway with its real metrics in a registry, serving
// /rest/v1/ and /graphql/v1 with the status a request asks for.
type api struct {
	gw     *gateway.Gateway
	reg    *prometheus.Registry
	client *http.Client
}

func startAPI(t *testing.T) *api {
	t.Helper()
	reg := prometheus.NewRegistry()
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err := gw.SetMetrics(reg); err != nil {
		t.Fatal(err)
	}
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("status"))
		w.WriteHeader(max(code, 200))
	})
	gw.Handle("/rest/v1/", answer)
	gw.Handle("/graphql/v1", answer)
	if err := gw.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	a := &api{gw: gw, reg: reg, client: &http.Client{Transport: &http.Transport{}}}
	t.Cleanup(func() {
		a.client.CloseIdleConnections()
		_ = gw.Stop(context.Background())
	})
	return a
}

// traffic sends n requests to path, bad of them answered with a 500.
func (a *api) traffic(t *testing.T, path string, n, bad int) {
	t.Helper()
	for i := range n {
		status := 200
		if i < bad {
			status = 500
		}
		resp, err := a.client.Get(a.gw.URL() + path + "?status=" + strconv.Itoa(status))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("%s answered %d, want %d", path, resp.StatusCode, status)
		}
	}
}

// hook is a webhook receiver that checks each delivery's signature and
// keeps the notifications per path.
type hook struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    map[string][]Notification
	bad    int
}

func startHook(t *testing.T, secret string) *hook {
	t.Helper()
	h := &hook{secret: secret, got: map[string][]Notification{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if !validSignature(r.Header.Get(HeaderSignature), secret, body) {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n Notification
		if err := json.Unmarshal(body, &n); err != nil {
			h.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.got[r.URL.Path] = append(h.got[r.URL.Path], n)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// validSignature checks a signature as a receiver would: the HMAC of
// "<t>.<body>", and a t within five minutes.
func validSignature(header, secret string, body []byte) bool {
	ts, sig, ok := strings.Cut(header, ",v1=")
	ts, found := strings.CutPrefix(ts, "t=")
	if !ok || !found {
		return false
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(unix, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}

func (h *hook) notifications(path string) []Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Notification(nil), h.got[path]...)
}

// wait polls until path has received n notifications and returns them.
func (h *hook) wait(t *testing.T, path string, n int) []Notification {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got := h.notifications(path); len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: %d notifications, want %d", path, len(h.notifications(path)), n)
	return nil
}

// rig is an engine reading a real gateway's metrics, on a fresh control
// plane, with a controllable clock.
type rig struct {
	e     *Engine
	api   *api
	clock *clock
	hook  *hook
	bus   *kernel.Bus
	sub   *kernel.Subscription
}

const hookSecret = "s3cret-for-the-test"

func newRig(t *testing.T, cfg Config, opts ...func(*Options)) *rig {
	t.Helper()
	cp := controlPlane(t)
	r := &rig{api: startAPI(t), clock: &clock{t: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)}, hook: startHook(t, hookSecret)}
	r.bus = kernel.NewBus(kernel.BusLogger(slog.New(slog.DiscardHandler)))
	sub, err := r.bus.Subscribe(TopicAlert, kernel.QueueSize(1024))
	if err != nil {
		t.Fatal(err)
	}
	r.sub = sub
	for i := range cfg.Receivers {
		cfg.Receivers[i].Webhook = strings.ReplaceAll(cfg.Receivers[i].Webhook, "HOOK", r.hook.srv.URL)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := Options{
		Config: cfg, Gatherer: r.api.reg, Store: cp, Bus: r.bus, Now: r.clock.now,
		Client: r.hook.srv.Client(), Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range opts {
		f(&o)
	}
	r.e = New(o)
	if err := r.e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.e.Stop(context.Background())
		sub.Unsubscribe()
	})
	return r
}

// step moves the clock by d and evaluates.
func (r *rig) step(t *testing.T, d time.Duration) {
	t.Helper()
	r.clock.add(d)
	if err := r.e.Evaluate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// minutes runs m minutes of traffic, a reading each minute: n requests
// to each path, bad of them failing.
func (r *rig) minutes(t *testing.T, m, n, bad int, paths ...string) {
	t.Helper()
	for range m {
		for _, p := range paths {
			r.api.traffic(t, p, n, bad)
		}
		r.step(t, time.Minute)
	}
}

func (r *rig) alert(t *testing.T, id string) Alert {
	t.Helper()
	for _, a := range r.e.Alerts(true) {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no alert %s", id)
	return Alert{}
}

// history polls until the history has an entry that ok accepts.
func (r *rig) history(t *testing.T, alert string, ok func(Entry) bool) Entry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		list, err := r.e.History(t.Context(), HistoryFilter{Alert: alert, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if ok(e) {
				return e
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	list, _ := r.e.History(t.Context(), HistoryFilter{Alert: alert, Limit: 1000})
	for _, e := range list {
		t.Logf("%+v", e)
	}
	t.Fatalf("no such history entry for %q", alert)
	return Entry{}
}

func ids(n Notification) []string {
	var out []string
	for _, a := range n.Alerts {
		out = append(out, a.Status+" "+a.ID)
	}
	return out
}

func pageConfig() Config {
	return Config{
		Objectives: []Objective{
			{Name: "rest-availability", API: "rest", Target: 0.99},
			{Name: "graphql-availability", API: "graphql", Target: 0.99},
		},
		Receivers: []Receiver{
			{Name: "oncall", Webhook: "HOOK/oncall", Secret: hookSecret},
			{Name: "lead", Webhook: "HOOK/lead", Secret: hookSecret},
		},
		Routes: []Route{{Severity: SeverityPage, Receiver: "oncall", EscalateAfter: 15 * time.Minute, EscalateTo: "lead"}},
	}
}

// TestBurnGroupResolveEscalate drives errors past the page's burn rate on
// two APIs at once: one grouped notification; an acknowledged alert is
// not escalated and the other is, once, after the stated time; when the
// errors stop, both resolve in one notification.
func TestBurnGroupResolveEscalate(t *testing.T) {
	t.Parallel()
	r := newRig(t, pageConfig())
	rest, gql := "rest-availability:page", "graphql-availability:page"

	// ten minutes of healthy traffic
	r.minutes(t, 10, 20, 0, "/rest/v1/notes", "/graphql/v1")
	if got := r.alert(t, rest).State; got != StateInactive {
		t.Fatalf("healthy: %s", got)
	}
	st := r.e.Objectives()[0]
	if st.Counts.Total != 200 || st.SLI != 1 || st.BudgetRemaining != 1 || st.ExhaustsIn != "" {
		t.Fatalf("healthy status: %+v", st)
	}

	// a minute of errors: 20 bad of 220 over the 6h and 30m windows (all
	// there is) is a burn rate of 9.1, above the page's 6x
	r.minutes(t, 1, 20, 20, "/rest/v1/notes", "/graphql/v1")
	for _, id := range []string{rest, gql} {
		if a := r.alert(t, id); a.State != StateFiring || a.BurnRates["30m"] < 6 || a.BurnRates["6h"] < 6 || a.BurnRates["1h"] > 14.4 {
			t.Fatalf("%s after the errors: %s %v", id, a.State, a.BurnRates)
		}
	}
	if got := r.hook.notifications("/oncall"); len(got) != 0 {
		t.Fatalf("notified before group_wait: %v", got)
	}
	st = r.e.Objectives()[0]
	if st.BudgetRemaining >= 1 || st.ExhaustsIn == "" {
		t.Errorf("budget while burning: %v, exhausts in %q", st.BudgetRemaining, st.ExhaustsIn)
	}
	// the ticket alerts fire too, but no route sends tickets anywhere
	if a := r.alert(t, "rest-availability:ticket"); a.State != StateFiring {
		t.Errorf("ticket: %s", a.State)
	}

	r.step(t, 30*time.Second) // group_wait
	got := r.hook.wait(t, "/oncall", 1)
	if len(got) != 1 || got[0].Status != "firing" || len(got[0].Alerts) != 2 || got[0].GroupLabels["severity"] != SeverityPage {
		t.Fatalf("want one grouped notification of both alerts, got %d: %+v", len(got), got)
	}
	r.step(t, 10*time.Second)
	r.step(t, 10*time.Second)

	// one of the two is acknowledged
	if _, err := r.e.Acknowledge(gql, "ada", "looking"); err != nil {
		t.Fatal(err)
	}
	// still burning, past escalate_after (15m) from firing
	r.minutes(t, 14, 20, 10, "/rest/v1/notes", "/graphql/v1")
	if n := len(r.hook.notifications("/lead")); n != 0 {
		t.Fatalf("escalated before escalate_after: %d", n)
	}
	r.minutes(t, 2, 20, 10, "/rest/v1/notes", "/graphql/v1")
	esc := r.hook.wait(t, "/lead", 1)
	if len(esc) != 1 || !esc[0].Escalation || len(esc[0].Alerts) != 1 || esc[0].Alerts[0].ID != rest {
		t.Fatalf("escalation: want the unacknowledged %s alone, got %+v", rest, esc)
	}
	if a := r.alert(t, gql); !a.EscalatedAt.IsZero() || a.Ack == nil || a.Ack.By != "ada" {
		t.Errorf("acknowledged alert: escalated %v, ack %+v", a.EscalatedAt, a.Ack)
	}
	r.minutes(t, 5, 20, 10, "/rest/v1/notes", "/graphql/v1")
	if n := len(r.hook.notifications("/lead")); n != 1 {
		t.Errorf("escalated %d times, want once", n)
	}
	if n := len(r.hook.notifications("/oncall")); n != 1 {
		t.Errorf("oncall notified %d times while nothing changed, want once", n)
	}

	// the errors stop: the 1h/5m pair stops at once, the 6h/30m pair
	// once its short window burns below 6x: with c clean minutes of 30,
	// (30-c)*10 bad of 600 is (30-c)*1.67x, below 6 from c = 27 on. Both
	// resolve then, and their resolution goes as one notification (at
	// the group's next flush, within group_interval)
	r.minutes(t, 26, 20, 0, "/rest/v1/notes", "/graphql/v1")
	if a := r.alert(t, rest); a.State != StateFiring || a.BurnRates["5m"] != 0 {
		t.Fatalf("after 26 clean minutes: %s %v, want firing (30m at 6.67x)", a.State, a.BurnRates)
	}
	r.minutes(t, 1, 20, 0, "/rest/v1/notes", "/graphql/v1")
	for _, id := range []string{rest, gql} {
		if a := r.alert(t, id); a.State != StateInactive || a.ResolvedAt.IsZero() {
			t.Fatalf("%s after the errors stopped: %s", id, a.State)
		}
	}
	r.minutes(t, 5, 20, 0, "/rest/v1/notes", "/graphql/v1")
	got = r.hook.wait(t, "/oncall", 2)
	if len(got) != 2 || got[1].Status != "resolved" || len(got[1].Alerts) != 2 {
		t.Fatalf("want one resolution of both, got %+v", got[1:])
	}
	r.minutes(t, 10, 20, 0, "/rest/v1/notes", "/graphql/v1")
	if n := len(r.hook.notifications("/oncall")); n != 2 {
		t.Errorf("oncall notified %d times, want 2", n)
	}
	if r.hook.bad != 0 {
		t.Errorf("%d deliveries with a bad signature or body", r.hook.bad)
	}

	// the history has every step of the rest alert
	for _, want := range []struct{ kind, to string }{
		{"transition", "firing"}, {"notification", "firing"}, {"escalation", ""}, {"transition", "resolved"}, {"notification", "resolved"},
	} {
		r.history(t, rest, func(e Entry) bool { return e.Kind == want.kind && e.To == want.to })
	}
	r.history(t, gql, func(e Entry) bool { return e.Kind == "ack" && e.Detail["by"] == "ada" })
	// and the bus carried the transitions
	var events []string
	for len(r.sub.C()) > 0 {
		ev := (<-r.sub.C()).Data.(AlertEvent)
		events = append(events, ev.Alert.ID+" "+string(ev.To))
	}
	for _, want := range []string{rest + " firing", rest + " inactive", gql + " firing"} {
		if !contains(events, want) {
			t.Errorf("bus events %v lack %q", events, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSilence: a silence made through the admin API suppresses the
// notification of the alert it matches (its transitions are still
// recorded); once it is expired, the still-firing alert is notified.
func TestSilence(t *testing.T) {
	t.Parallel()
	r := newRig(t, pageConfig())
	h := r.e.Handler()
	body := `{"objective":"rest-availability","duration":"2h","created_by":"ada","comment":"deploying"}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/admin/v1/slo/silences", strings.NewReader(body)))
	if w.Code != http.StatusCreated {
		t.Fatalf("POST silences: %d %s", w.Code, w.Body)
	}
	var s Silence
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || s.ID == "" || !s.EndsAt.Equal(r.clock.now().Add(2*time.Hour)) {
		t.Fatalf("silence %+v (%v)", s, err)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/admin/v1/slo/silences", strings.NewReader(`{"duration":"1h","created_by":"x","comment":"y"}`)))
	if w.Code != http.StatusBadRequest {
		t.Errorf("a silence without matchers: %d", w.Code)
	}

	r.minutes(t, 10, 20, 0, "/rest/v1/notes")
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	a := r.alert(t, "rest-availability:page")
	if a.State != StateFiring || len(a.SilencedBy) != 1 || a.SilencedBy[0] != s.ID {
		t.Fatalf("silenced alert: %s, silenced by %v", a.State, a.SilencedBy)
	}
	r.minutes(t, 5, 20, 10, "/rest/v1/notes")
	r.history(t, a.ID, func(e Entry) bool {
		ids, _ := e.Detail["silenced_by"].([]any)
		return e.Kind == "transition" && e.To == "firing" && len(ids) == 1 && ids[0] == s.ID
	})
	if got := r.hook.notifications("/oncall"); len(got) != 0 {
		t.Fatalf("a silenced alert was notified: %+v", got)
	}
	// it was not escalated either, though past escalate_after
	r.minutes(t, 15, 20, 10, "/rest/v1/notes")
	if got := r.hook.notifications("/lead"); len(got) != 0 {
		t.Fatalf("a silenced alert was escalated: %+v", got)
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/admin/v1/slo/silences/"+s.ID, nil))
	if w.Code != http.StatusNoContent {
		t.Fatalf("DELETE silence: %d %s", w.Code, w.Body)
	}
	r.minutes(t, 2, 20, 10, "/rest/v1/notes")
	got := r.hook.wait(t, "/oncall", 1)
	if got[0].Status != "firing" || len(got[0].Alerts) != 1 || got[0].Alerts[0].ID != a.ID {
		t.Fatalf("after the silence: %v", ids(got[0]))
	}
}

// TestAdminAPI covers the handler's reads and the acknowledgement.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	r := newRig(t, pageConfig())
	h := r.e.Handler()
	call := func(method, path, body string, want int) []byte {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		if w.Code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body, want)
		}
		return w.Body.Bytes()
	}
	r.minutes(t, 10, 20, 0, "/rest/v1/notes")
	var objs []ObjectiveStatus
	if err := json.Unmarshal(call("GET", "/admin/v1/slo/objectives", "", 200), &objs); err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Name != "rest-availability" || objs[0].Window != "30d" || len(objs[0].BurnRates) != 7 {
		t.Fatalf("objectives: %+v", objs)
	}
	call("POST", "/admin/v1/slo/alerts/rest-availability:page/ack", `{"by":"ada"}`, 400) // not firing
	call("POST", "/admin/v1/slo/alerts/nope:page/ack", `{"by":"ada"}`, 404)
	r.minutes(t, 2, 20, 20, "/rest/v1/notes")
	var alerts []Alert
	if err := json.Unmarshal(call("GET", "/admin/v1/slo/alerts", "", 200), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 { // page and ticket of rest
		t.Fatalf("alerts: %+v", alerts)
	}
	call("POST", "/admin/v1/slo/alerts/rest-availability:page/ack", `{"by":"ada","comment":"on it"}`, 200)
	r.history(t, "rest-availability:page", func(e Entry) bool { return e.Kind == "ack" })
	var hist []Entry
	if err := json.Unmarshal(call("GET", "/admin/v1/slo/history?alert=rest-availability:page", "", 200), &hist); err != nil || len(hist) == 0 {
		t.Fatalf("history: %v %v", hist, err)
	}
	call("GET", "/admin/v1/slo/history?limit=x", "", 400)

	// the same numbers as metrics
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.e.Collector())
	if n, err := testutil.GatherAndCount(reg, "mobo_slo_alert_firing"); err != nil || n != 4 {
		t.Errorf("mobo_slo_alert_firing: %d series (%v), want 4", n, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	budgets := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "mobo_slo_budget_remaining" {
			for _, m := range mf.GetMetric() {
				budgets[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	// 40 bad of 240 against 1% allowed: 1 - 40/2.4
	if !near(budgets["graphql-availability"], 1) || math.Abs(budgets["rest-availability"]-(1-40/2.4)) > 1e-9 {
		t.Errorf("mobo_slo_budget_remaining: %v", budgets)
	}
	call("DELETE", "/admin/v1/slo/silences/nope", "", 404)
}

// TestRestartKeepsBudgetAndState: a new engine on the same control plane
// takes the samples (the budget), the alerts' states (no second
// notification) and the silences back.
func TestRestartKeepsBudgetAndState(t *testing.T) {
	t.Parallel()
	cfg := pageConfig()
	r := newRig(t, cfg)
	r.minutes(t, 10, 20, 0, "/rest/v1/notes")
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	r.step(t, 30*time.Second)
	r.hook.wait(t, "/oncall", 1)
	before := r.e.Objectives()[0]
	if err := r.e.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// a new process: a new registry, whose counters start at zero
	cfg = pageConfig()
	for i := range cfg.Receivers {
		cfg.Receivers[i].Webhook = strings.ReplaceAll(cfg.Receivers[i].Webhook, "HOOK", r.hook.srv.URL)
	}
	api2 := startAPI(t)
	e2 := New(Options{Config: cfg, Gatherer: api2.reg, Store: r.e.store.src, Now: r.clock.now, Client: r.hook.srv.Client()})
	if err := e2.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e2.Stop(context.Background()) })
	r.e, r.api = e2, api2
	r.minutes(t, 1, 20, 10, "/rest/v1/notes")
	after := e2.Objectives()[0]
	if after.Counts.Total != before.Counts.Total+20 {
		t.Errorf("budget window after a restart: %v requests, want %v", after.Counts.Total, before.Counts.Total+20)
	}
	if a := r.alert(t, "rest-availability:page"); a.State != StateFiring || !a.Notified {
		t.Errorf("alert after a restart: %s notified %v", a.State, a.Notified)
	}
	r.minutes(t, 3, 20, 10, "/rest/v1/notes")
	if n := len(r.hook.notifications("/oncall")); n != 1 {
		t.Errorf("notified %d times across a restart, want once", n)
	}
}

// TestEmailReceiver: notifications reach a real SMTP server.
func TestEmailReceiver(t *testing.T) {
	t.Parallel()
	sink := startSink(t)
	cfg := Config{
		Objectives: []Objective{{Name: "rest-availability", API: "rest", Target: 0.99}},
		Receivers:  []Receiver{{Name: "ops", Email: []string{"ops@example.com", "lead@example.com"}}},
		SMTP:       SMTPConfig{Host: "127.0.0.1", Port: sink.addr.Port, TLS: "none", From: "slo@example.com"},
		Group:      GroupConfig{By: []string{"objective"}, Wait: time.Minute},
	}
	r := newRig(t, cfg, func(o *Options) { o.Mailer = SMTPMailer{Config: o.Config.withDefaults().SMTP} })
	r.minutes(t, 10, 20, 0, "/rest/v1/notes")
	r.minutes(t, 3, 20, 15, "/rest/v1/notes")
	msgs := sink.wait(t, 2)
	for _, m := range msgs {
		if !strings.Contains(m.data, "Subject: [FIRING:2] mobo SLO rest-availability:page, rest-availability:ticket") ||
			!strings.Contains(m.data, "FIRING  rest-availability:page") {
			t.Errorf("mail to %s:\n%s", m.to, m.data)
		}
	}
}

type sentMail struct{ to, data string }

// smtpSink is a real SMTP server on a loopback port that keeps what it
// gets.
type smtpSink struct {
	addr *net.TCPAddr
	mu   sync.Mutex
	msgs []sentMail
}

type sinkSession struct {
	sink *smtpSink
	to   []string
}

func (s *sinkSession) Reset()                                    { s.to = nil }
func (s *sinkSession) Logout() error                             { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	for _, to := range s.to {
		s.sink.msgs = append(s.sink.msgs, sentMail{to: to, data: string(b)})
	}
	return nil
}

func startSink(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: sink}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().(*net.TCPAddr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp sink: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return sink
}

func (s *smtpSink) wait(t *testing.T, n int) []sentMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		got := append([]sentMail(nil), s.msgs...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d mails arrived, want %d", len(s.msgs), n)
	return nil
}

// TestPendingRepeatMinRequests: an alert burning on too few requests
// stays inactive; one with "for" is pending that long before it fires; a
// group still firing is notified again every repeat_interval, until its
// alerts are acknowledged.
func TestPendingRepeatMinRequests(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{
		Objectives:  []Objective{{Name: "rest-availability", API: "rest", Target: 0.99}},
		Alerts:      []BurnAlert{{Severity: SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, BurnRate: 14.4, For: 2 * time.Minute}},
		MinRequests: 50,
		Receivers:   []Receiver{{Name: "oncall", Webhook: "HOOK/oncall", Secret: hookSecret}},
		Group:       GroupConfig{Wait: 30 * time.Second, Interval: time.Minute, RepeatInterval: 10 * time.Minute},
	})
	id := "rest-availability:page"
	// half of 2 requests a minute fail: a burn rate of 50, on 10 requests
	// in 5 minutes
	r.minutes(t, 10, 2, 1, "/rest/v1/notes")
	if a := r.alert(t, id); a.State != StateInactive || !near(a.BurnRates["5m"], 50) {
		t.Fatalf("on too few requests: %s %v", a.State, a.BurnRates)
	}
	// 20 a minute, all failing: 28, then 46, then 64 requests in 5m
	r.minutes(t, 2, 20, 20, "/rest/v1/notes")
	if a := r.alert(t, id); a.State != StateInactive {
		t.Fatalf("below min_requests: %s", a.State)
	}
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	if a := r.alert(t, id); a.State != StatePending {
		t.Fatalf("past min_requests: %s, want pending", a.State)
	}
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	if a := r.alert(t, id); a.State != StatePending {
		t.Fatalf("a minute later: %s, want pending", a.State)
	}
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	if a := r.alert(t, id); a.State != StateFiring {
		t.Fatalf("after for (2m): %s, want firing", a.State)
	}
	r.step(t, 30*time.Second)
	r.hook.wait(t, "/oncall", 1)
	r.minutes(t, 9, 20, 20, "/rest/v1/notes")
	if n := len(r.hook.notifications("/oncall")); n != 1 {
		t.Fatalf("%d notifications before repeat_interval, want 1", n)
	}
	r.minutes(t, 1, 20, 20, "/rest/v1/notes")
	got := r.hook.wait(t, "/oncall", 2)
	if got[1].Status != "firing" || len(got[1].Alerts) != 1 || got[1].Alerts[0].ID != id {
		t.Fatalf("repeat: %v", ids(got[1]))
	}
	if _, err := r.e.Acknowledge(id, "ada", ""); err != nil {
		t.Fatal(err)
	}
	r.minutes(t, 25, 20, 20, "/rest/v1/notes")
	if n := len(r.hook.notifications("/oncall")); n != 2 {
		t.Errorf("%d notifications after the acknowledgement, want no more than 2", n)
	}
	r.history(t, id, func(e Entry) bool { return e.Kind == "transition" && e.From == "pending" && e.To == "firing" })
}

package slo

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Kinds of objectives.
const (
	// KindAvailability counts a request good unless it was answered with
	// a 5xx status.
	KindAvailability = "availability"
	// KindLatency counts a request good when it was answered within the
	// objective's threshold (websocket upgrades are not timed, so they
	// count in neither).
	KindLatency = "latency"
)

// Severities of the default burn-rate alerts.
const (
	SeverityPage   = "page"
	SeverityTicket = "ticket"
)

// APIs an objective can be about; "*" is any of them (the platform's own
// endpoints, /admin and the health checks, never count).
var apis = []string{"rest", "graphql", "auth", "realtime", "*"}

// LatencyBuckets are the bounds, in seconds, of the gateway's
// mobo_http_request_duration_seconds histogram: a latency objective's
// threshold must be one of them, since the histogram cannot say how many
// requests were answered within any other bound.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// groupLabels are what alerts may be grouped by.
var groupLabels = []string{"objective", "api", "project", "kind", "severity"}

// Defaults.
const (
	DefaultInterval       = 10 * time.Second
	DefaultWindow         = 30 * 24 * time.Hour
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultRetention      = 90 * 24 * time.Hour
)

// Config is the [slo] section. Its zero value is the documented default:
// [DefaultObjectives] evaluated every 10 s against [DefaultBurnAlerts],
// alerts recorded (history, admin API, bus) and sent nowhere until a
// receiver is configured.
type Config struct {
	// Objectives replace [DefaultObjectives] when given ([[slo.objective]]).
	Objectives []Objective `toml:"objective"`
	// Interval is how often the metrics are read and the alerts
	// evaluated; group and escalation timings are honoured at this
	// resolution. Default 10s.
	Interval time.Duration `toml:"interval"`
	// Alerts replace [DefaultBurnAlerts] when given ([[slo.alert]]).
	Alerts []BurnAlert `toml:"alert"`
	// MinRequests is the fewest requests the short window of an alert
	// must hold for it to fire, so that two failures out of three
	// requests on an idle API page nobody. Default 0 (no floor).
	MinRequests int `toml:"min_requests"`
	// Receivers are where notifications go ([[slo.receiver]]). They hold
	// credentials (a webhook's secret, and webhook URLs often carry a
	// token), so `mobo config` prints them redacted.
	Receivers []Receiver `toml:"receiver" secret:"true"`
	// Routes send each severity to a receiver ([[slo.route]]). Without
	// routes, a lone receiver receives everything.
	Routes []Route `toml:"route"`
	// Group batches notifications.
	Group GroupConfig `toml:"group"`
	// SMTP sends the receivers' email.
	SMTP SMTPConfig `toml:"smtp"`
	// Retention is how long the alert history and ended silences are
	// kept. Default 2160h (90 days).
	Retention time.Duration `toml:"retention"`
}

// Objective is one service-level objective: the share of good requests
// to one API (or all) of one project (or all) over a rolling window.
type Objective struct {
	// Name identifies the objective (letters, digits, '-', '_', '.').
	Name string `toml:"name"`
	// API is "rest", "graphql", "auth", "realtime" or "*" (default).
	API string `toml:"api"`
	// Project is a project ref or "*" (default: every project together).
	Project string `toml:"project"`
	// Kind is "availability" (default) or "latency".
	Kind string `toml:"kind"`
	// Threshold is a latency objective's bound: one of [LatencyBuckets].
	Threshold time.Duration `toml:"threshold"`
	// Target is the share of good requests promised, in (0, 1): 0.999.
	Target float64 `toml:"target"`
	// Window is the rolling window of the error budget. Default 720h.
	Window time.Duration `toml:"window"`
}

// BurnAlert is one multi-window burn-rate alert (the SRE workbook's
// chapter 5, "Alerting on SLOs", method 6): it fires when the error
// budget burns faster than BurnRate times the sustainable pace over both
// LongWindow and ShortWindow. The long window makes it significant, the
// short one makes it reset quickly once the burn stops.
type BurnAlert struct {
	Severity    string        `toml:"severity"`
	LongWindow  time.Duration `toml:"long_window"`
	ShortWindow time.Duration `toml:"short_window"`
	BurnRate    float64       `toml:"burn_rate"`
	// For keeps the alert pending this long before it fires. Default 0.
	For time.Duration `toml:"for"`
}

// DefaultBurnAlerts are the workbook's: a page when 2% of a 30-day budget
// burns in an hour (14.4×) or 5% in six hours (6×), a ticket when 10%
// burns in three days (1×) or in a day (3×), each confirmed by a short
// window a twelfth of its long one.
func DefaultBurnAlerts() []BurnAlert {
	return []BurnAlert{
		{Severity: SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, BurnRate: 14.4},
		{Severity: SeverityPage, LongWindow: 6 * time.Hour, ShortWindow: 30 * time.Minute, BurnRate: 6},
		{Severity: SeverityTicket, LongWindow: 24 * time.Hour, ShortWindow: 2 * time.Hour, BurnRate: 3},
		{Severity: SeverityTicket, LongWindow: 72 * time.Hour, ShortWindow: 6 * time.Hour, BurnRate: 1},
	}
}

// DefaultObjectives are the objectives without configuration: for each
// API, across all projects, 99.9% of requests not answered with a 5xx
// and, but for realtime (whose websockets are not timed), 99% answered
// within a second, over 30 days.
func DefaultObjectives() []Objective {
	var out []Objective
	for _, api := range []string{"rest", "graphql", "auth", "realtime"} {
		out = append(out, Objective{Name: api + "-availability", API: api, Project: "*", Kind: KindAvailability, Target: 0.999, Window: DefaultWindow})
		if api != "realtime" {
			out = append(out, Objective{Name: api + "-latency", API: api, Project: "*", Kind: KindLatency, Threshold: time.Second, Target: 0.99, Window: DefaultWindow})
		}
	}
	return out
}

// Receiver is where notifications go: a webhook, email addresses, or
// both.
type Receiver struct {
	Name string `toml:"name"`
	// Webhook receives each notification as JSON ([Notification]),
	// signed with Secret in [HeaderSignature].
	Webhook string `toml:"webhook"`
	Secret  string `toml:"secret"`
	// Email lists addresses sent each notification as text, through
	// [slo.smtp].
	Email []string `toml:"email"`
}

// Route sends the alerts of one severity to a receiver and, when an alert
// stays firing unacknowledged for EscalateAfter, to EscalateTo as well.
type Route struct {
	// Severity is the alerts' severity, or "*" for any (routes are tried
	// in order; the first that matches wins).
	Severity string `toml:"severity"`
	Receiver string `toml:"receiver"`
	// EscalateAfter, when set with EscalateTo, escalates an alert firing
	// this long without an acknowledgement.
	EscalateAfter time.Duration `toml:"escalate_after"`
	EscalateTo    string        `toml:"escalate_to"`
}

// GroupConfig batches notifications as Alertmanager does: the alerts of
// one receiver with the same values of By make one group; a new group
// waits Wait for more alerts before its first notification, then changes
// (new firing alerts, resolutions) go at most every Interval, and a group
// still firing is notified again every RepeatInterval.
type GroupConfig struct {
	// By are labels among objective, api, project, kind, severity.
	// Default ["severity"].
	By             []string      `toml:"by"`
	Wait           time.Duration `toml:"wait"`            // default 30s
	Interval       time.Duration `toml:"interval"`        // default 5m
	RepeatInterval time.Duration `toml:"repeat_interval"` // default 4h
}

// SMTPConfig is the mail server of email receivers.
type SMTPConfig struct {
	Host string `toml:"host"`
	Port int    `toml:"port"` // default 587
	User string `toml:"user"`
	Pass string `toml:"pass" secret:"true"`
	// From is the sender. Default "mobo@localhost".
	From string `toml:"from"`
	// TLS is "starttls" (default: when the server offers it), "tls"
	// (implicit) or "none".
	TLS string `toml:"tls"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Validate checks the section: names, kinds, targets, thresholds (a
// latency threshold must be a bucket bound of the duration histogram),
// windows, receivers and routes.
func (c Config) Validate() error {
	if c.Interval < 0 || c.Retention < 0 || c.MinRequests < 0 || c.Group.Wait < 0 || c.Group.Interval < 0 || c.Group.RepeatInterval < 0 {
		return errors.New("slo: durations and counts must not be negative")
	}
	if c.Interval > 0 && c.Interval < time.Second {
		return errors.New("slo.interval must be at least 1s")
	}
	seen := map[string]bool{}
	for _, o := range c.Objectives {
		if err := o.validate(); err != nil {
			return err
		}
		if seen[o.Name] {
			return fmt.Errorf("slo.objective %q: the name is used twice", o.Name)
		}
		seen[o.Name] = true
	}
	for _, a := range c.Alerts {
		if !nameRE.MatchString(a.Severity) {
			return fmt.Errorf("slo.alert: severity %q: want a name of letters, digits, '-', '_' or '.'", a.Severity)
		}
		if a.ShortWindow <= 0 || a.LongWindow <= a.ShortWindow {
			return fmt.Errorf("slo.alert %s: want 0 < short_window < long_window (got %s and %s)", a.Severity, a.ShortWindow, a.LongWindow)
		}
		if a.BurnRate <= 0 || math.IsInf(a.BurnRate, 0) || math.IsNaN(a.BurnRate) {
			return fmt.Errorf("slo.alert %s: burn_rate must be positive", a.Severity)
		}
		if a.For < 0 {
			return fmt.Errorf("slo.alert %s: for must not be negative", a.Severity)
		}
	}
	receivers := map[string]bool{}
	emails := false
	for _, r := range c.Receivers {
		if err := r.validate(); err != nil {
			return err
		}
		if receivers[r.Name] {
			return fmt.Errorf("slo.receiver %q: the name is used twice", r.Name)
		}
		receivers[r.Name] = true
		emails = emails || len(r.Email) > 0
	}
	if emails && c.SMTP.Host == "" {
		return errors.New("slo.smtp.host is required by receivers with email")
	}
	if !slices.Contains([]string{"", "starttls", "tls", "none"}, c.SMTP.TLS) {
		return fmt.Errorf("slo.smtp.tls %q: want starttls, tls or none", c.SMTP.TLS)
	}
	if strings.ContainsAny(c.SMTP.From, "\r\n") {
		return errors.New("slo.smtp.from must not contain a line break")
	}
	for _, r := range c.Routes {
		if r.Severity == "" || !receivers[r.Receiver] {
			return fmt.Errorf("slo.route %q: want a severity (or \"*\") and a receiver among [[slo.receiver]] (got %q)", r.Severity, r.Receiver)
		}
		if r.EscalateAfter < 0 || (r.EscalateTo != "") != (r.EscalateAfter > 0) {
			return fmt.Errorf("slo.route %q: escalate_after and escalate_to go together", r.Severity)
		}
		if r.EscalateTo != "" && !receivers[r.EscalateTo] {
			return fmt.Errorf("slo.route %q: escalate_to %q is not a receiver", r.Severity, r.EscalateTo)
		}
	}
	for _, l := range c.Group.By {
		if !slices.Contains(groupLabels, l) {
			return fmt.Errorf("slo.group.by %q: want among %v", l, groupLabels)
		}
	}
	return nil
}

func (o Objective) validate() error {
	if !nameRE.MatchString(o.Name) {
		return fmt.Errorf("slo.objective: name %q: want letters, digits, '-', '_' or '.' (at most 63)", o.Name)
	}
	if o.API != "" && !slices.Contains(apis, o.API) {
		return fmt.Errorf("slo.objective %q: api %q: want one of %v", o.Name, o.API, apis)
	}
	if o.Project != "" && o.Project != "*" && !nameRE.MatchString(o.Project) {
		return fmt.Errorf("slo.objective %q: project %q: want a project ref or \"*\"", o.Name, o.Project)
	}
	if !(o.Target > 0 && o.Target < 1) {
		return fmt.Errorf("slo.objective %q: target %v: want a share in (0, 1), such as 0.999", o.Name, o.Target)
	}
	if o.Window < 0 || (o.Window > 0 && o.Window < time.Hour) {
		return fmt.Errorf("slo.objective %q: window must be at least 1h", o.Name)
	}
	switch o.Kind {
	case "", KindAvailability:
		if o.Threshold != 0 {
			return fmt.Errorf("slo.objective %q: threshold is for latency objectives", o.Name)
		}
	case KindLatency:
		if !isBucket(o.Threshold) {
			return fmt.Errorf("slo.objective %q: threshold %s: want one of the duration histogram's bounds: %s", o.Name, o.Threshold, bucketList())
		}
	default:
		return fmt.Errorf("slo.objective %q: kind %q: want availability or latency", o.Name, o.Kind)
	}
	return nil
}

func isBucket(d time.Duration) bool {
	return slices.ContainsFunc(LatencyBuckets, func(b float64) bool { return sameBound(b, d.Seconds()) })
}

func sameBound(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func bucketList() string {
	var s []string
	for _, b := range LatencyBuckets {
		s = append(s, fmtDuration(time.Duration(b*float64(time.Second))))
	}
	return strings.Join(s, ", ")
}

func (r Receiver) validate() error {
	if !nameRE.MatchString(r.Name) {
		return fmt.Errorf("slo.receiver: name %q: want letters, digits, '-', '_' or '.'", r.Name)
	}
	if r.Webhook == "" && len(r.Email) == 0 {
		return fmt.Errorf("slo.receiver %q: give a webhook, email addresses, or both", r.Name)
	}
	if r.Webhook != "" {
		u, err := url.Parse(r.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("slo.receiver %q: webhook %q: want an http or https URL", r.Name, r.Webhook)
		}
	}
	for _, a := range r.Email {
		if strings.ContainsAny(a, "\r\n") {
			return fmt.Errorf("slo.receiver %q: email address with a line break", r.Name)
		}
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("slo.receiver %q: email %q: %w", r.Name, a, err)
		}
	}
	return nil
}

// withDefaults fills what the zero value leaves to defaults.
func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if len(c.Objectives) == 0 {
		c.Objectives = DefaultObjectives()
	}
	c.Objectives = slices.Clone(c.Objectives)
	for i := range c.Objectives {
		o := &c.Objectives[i]
		if o.API == "" {
			o.API = "*"
		}
		if o.Project == "" {
			o.Project = "*"
		}
		if o.Kind == "" {
			o.Kind = KindAvailability
		}
		if o.Window <= 0 {
			o.Window = DefaultWindow
		}
	}
	if len(c.Alerts) == 0 {
		c.Alerts = DefaultBurnAlerts()
	}
	if len(c.Group.By) == 0 {
		c.Group.By = []string{"severity"}
	}
	if c.Group.Wait <= 0 {
		c.Group.Wait = DefaultGroupWait
	}
	if c.Group.Interval <= 0 {
		c.Group.Interval = DefaultGroupInterval
	}
	if c.Group.RepeatInterval <= 0 {
		c.Group.RepeatInterval = DefaultRepeatInterval
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = 587
	}
	if c.SMTP.From == "" {
		c.SMTP.From = "mobo@localhost"
	}
	return c
}

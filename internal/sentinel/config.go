package sentinel

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/magflock/mobo/internal/sentinel/apiwatch"
	"github.com/magflock/mobo/internal/sentinel/authsentry"
	"github.com/magflock/mobo/internal/sentinel/dataguard"
	"github.com/magflock/mobo/internal/sentinel/pathguard"
	"github.com/magflock/mobo/internal/sentinel/privguard"
	"github.com/magflock/mobo/internal/sentinel/sqlguard"
	"github.com/magflock/mobo/internal/sentinel/xssguard"
)

// Mode is how the sentinel, or one of its agents, acts on what it finds.
type Mode string

// The modes.
const (
	// ModeEnforce records findings and acts on them: refusals, blocks,
	// revocations, alerts. The default.
	ModeEnforce Mode = "enforce"
	// ModeShadow records findings and the incidents they would open, and
	// acts on none of them: for trying the sentinel on real traffic.
	ModeShadow Mode = "shadow"
	// ModeOff ignores an agent (or, for the whole sentinel, disables it).
	ModeOff Mode = "off"
)

func (m Mode) valid() bool { return m == "" || m == ModeEnforce || m == ModeShadow || m == ModeOff }

// Config is the [sentinel] section. Its zero value is the documented
// default: enforcing, with [DefaultScenarios].
type Config struct {
	// Mode is the sentinel's: "enforce" (default), "shadow" or "off".
	Mode Mode `toml:"mode"`
	// Agents overrides the mode per agent ("sqlguard" = "shadow").
	Agents map[string]Mode `toml:"agents"`
	// HalfLife is how fast an actor's score for a scenario decays. Default 10m.
	HalfLife time.Duration `toml:"half_life"`
	// IncidentQuiet closes an incident after this long without a finding.
	// Default 30m.
	IncidentQuiet time.Duration `toml:"incident_quiet"`
	// BlockMax caps a block's duration, which doubles with each repeat
	// offence. Default 24h.
	BlockMax time.Duration `toml:"block_max"`
	// Allow are actors the sentinel never acts against (it still records
	// their findings).
	Allow AllowConfig `toml:"allow"`
	// Scenarios replace [DefaultScenarios] when given.
	Scenarios []Scenario `toml:"scenario"`
	// ScenariosFile, when set, is a TOML file of [[scenario]] tables read
	// at start; it replaces Scenarios.
	ScenariosFile string `toml:"scenarios_file"`
	// Webhook receives incidents whose scenario alerts.
	Webhook WebhookConfig `toml:"webhook"`
	// Retention is how long events and closed incidents are kept. Default 30 days.
	Retention time.Duration `toml:"retention"`
	// MaxInspectBytes bounds the bytes of values inspected per statement
	// (JSON bodies included). Default 64 KiB.
	MaxInspectBytes int `toml:"max_inspect_bytes"`

	// Each agent's own settings.
	SQLGuard   sqlguard.Config   `toml:"sqlguard"`
	XSSGuard   xssguard.Config   `toml:"xssguard"`
	PathGuard  pathguard.Config  `toml:"pathguard"`
	APIWatch   apiwatch.Config   `toml:"apiwatch"`
	AuthSentry authsentry.Config `toml:"authsentry"`
	DataGuard  dataguard.Config  `toml:"dataguard"`
	PrivGuard  privguard.Config  `toml:"privguard"`
}

// AllowConfig lists actors never acted against.
type AllowConfig struct {
	IPs    []string `toml:"ips"`    // addresses or CIDRs
	Keys   []string `toml:"keys"`   // API key ids
	Users  []string `toml:"users"`  // user ids (JWT sub)
	Routes []string `toml:"routes"` // event routes ("rest:public.notes") whose values are not inspected
}

// WebhookConfig is where alerts go.
type WebhookConfig struct {
	URL string `toml:"url"`
	// Secret signs each delivery: X-Mobo-Signature: t=<unix>,v1=<hex
	// HMAC-SHA256 of "<unix>.<body>">.
	Secret string `toml:"secret" secret:"true"`
}

// Scenario turns findings into an incident and a response: when an
// actor's decaying score over findings with one of Labels reaches
// Threshold, the scenario fires against the actor at Scope.
type Scenario struct {
	Name   string   `toml:"name"`
	Labels []string `toml:"labels"`
	// Threshold is the score at which the scenario fires (each finding
	// adds its Score, in (0, 1]).
	Threshold float64 `toml:"threshold"`
	// Scope is the actor acted against: "ip", "net", "key", "user",
	// "session", "account", or "" for the finding's own scope.
	Scope string `toml:"scope"`
	// Actions: "block" (the actor, for Block), "step_up" (the user, for
	// Block, until it signs in again with MFA: its aal1 tokens are
	// refused), "revoke_sessions" (the user's), "revoke_key", "alert"
	// (the webhook).
	Actions []string `toml:"actions"`
	// Block is a first block's duration; each repeat offence doubles it.
	// Default 15m.
	Block time.Duration `toml:"block"`
	// Refuse refuses the very request that carried a finding with one of
	// Labels (the value agents'), before its statement runs.
	Refuse bool `toml:"refuse"`
}

// The scopes an actor can be acted against at.
var scopes = []string{ScopeIP, ScopeNet, ScopeKey, ScopeUser, ScopeSession, ScopeAccount}

// Scopes of actors.
const (
	ScopeIP      = "ip"
	ScopeNet     = "net" // the /24 (IPv4) or /64 (IPv6) around an address
	ScopeKey     = "key"
	ScopeUser    = "user"
	ScopeSession = "session"
	ScopeAccount = "account" // an email or phone signed in with
)

var actions = []string{"block", "step_up", "revoke_sessions", "revoke_key", "alert"}

// DefaultScenarios are the scenarios without configuration. An agent
// reports a pattern once when it crosses its own threshold (with a score
// saying how sure it is), so most scenarios fire on one such finding;
// those whose findings are weak alone need two.
func DefaultScenarios() []Scenario {
	return []Scenario{
		// Two or three attack values from one address (by how sure the agents
		// are), each refused on the spot.
		{Name: "injection", Labels: []string{"sqli", "xss", "traversal"}, Threshold: 2, Scope: ScopeIP, Actions: []string{"block", "alert"}, Refuse: true},
		// The attacked account (whoever tries it) and each source that
		// tried it often.
		{Name: "brute_force", Labels: []string{"brute_force"}, Threshold: 0.8, Actions: []string{"block", "alert"}},
		{Name: "credential_stuffing", Labels: []string{"credential_stuffing"}, Threshold: 0.7, Actions: []string{"block", "alert"}, Block: time.Hour},
		{Name: "password_spraying", Labels: []string{"password_spraying"}, Threshold: 0.6, Actions: []string{"block", "alert"}, Block: time.Hour},
		{Name: "mfa_guessing", Labels: []string{"mfa_guessing"}, Threshold: 0.9, Scope: ScopeUser, Actions: []string{"block", "revoke_sessions", "alert"}},
		// A replayed refresh token: the family is ended (auth does) and
		// the user's sessions revoked; unknown tokens tried in bulk block
		// their source.
		{Name: "token_replay", Labels: []string{"token_replay"}, Threshold: 0.6, Actions: []string{"revoke_sessions", "block", "alert"}, Block: 5 * time.Minute},
		{Name: "scanning", Labels: []string{"scanning", "bad_agent"}, Threshold: 0.6, Scope: ScopeIP, Actions: []string{"block"}},
		{Name: "flood", Labels: []string{"flood"}, Threshold: 0.8, Scope: ScopeIP, Actions: []string{"block"}, Block: 5 * time.Minute},
		{Name: "odd_method", Labels: []string{"odd_method"}, Threshold: 0.9, Scope: ScopeIP, Actions: []string{"block"}},
		{Name: "exfiltration", Labels: []string{"exfiltration"}, Threshold: 0.7, Actions: []string{"block", "alert"}, Block: time.Hour},
		// One refused privileged role claim, or two weaker signs.
		{Name: "privilege_probing", Labels: []string{"privilege_probing"}, Threshold: 1, Actions: []string{"block", "alert"}},
	}
}

// Validate checks modes, scenarios and allow-lists.
func (c Config) Validate() error {
	if !c.Mode.valid() {
		return fmt.Errorf("sentinel.mode %q: want enforce, shadow or off", c.Mode)
	}
	for a, m := range c.Agents {
		if !m.valid() {
			return fmt.Errorf("sentinel.agents.%s %q: want enforce, shadow or off", a, m)
		}
	}
	for _, s := range c.Scenarios {
		if err := s.validate(); err != nil {
			return err
		}
	}
	if _, err := parseAllowIPs(c.Allow.IPs); err != nil {
		return err
	}
	for name, err := range map[string]error{
		"apiwatch": c.APIWatch.Validate(), "authsentry": c.AuthSentry.Validate(),
		"dataguard": c.DataGuard.Validate(), "privguard": c.PrivGuard.Validate(),
		"xssguard": c.XSSGuard.Validate(), "pathguard": c.PathGuard.Validate(), "sqlguard": c.SQLGuard.Validate(),
	} {
		if err != nil {
			return fmt.Errorf("sentinel.%s: %w", name, err)
		}
	}
	if c.HalfLife < 0 || c.IncidentQuiet < 0 || c.BlockMax < 0 || c.Retention < 0 || c.MaxInspectBytes < 0 {
		return errors.New("sentinel: durations and sizes must not be negative")
	}
	return nil
}

func (s Scenario) validate() error {
	if s.Name == "" || len(s.Labels) == 0 {
		return errors.New("sentinel scenario: name and labels are required")
	}
	if s.Threshold <= 0 && !s.Refuse {
		return fmt.Errorf("sentinel scenario %q: threshold must be positive", s.Name)
	}
	if s.Scope != "" && !slices.Contains(scopes, s.Scope) {
		return fmt.Errorf("sentinel scenario %q: scope %q: want one of %v", s.Name, s.Scope, scopes)
	}
	for _, a := range s.Actions {
		if !slices.Contains(actions, a) {
			return fmt.Errorf("sentinel scenario %q: action %q: want one of %v", s.Name, a, actions)
		}
	}
	if s.Block < 0 {
		return fmt.Errorf("sentinel scenario %q: block must not be negative", s.Name)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeEnforce
	}
	if c.HalfLife <= 0 {
		c.HalfLife = 10 * time.Minute
	}
	if c.IncidentQuiet <= 0 {
		c.IncidentQuiet = 30 * time.Minute
	}
	if c.BlockMax <= 0 {
		c.BlockMax = 24 * time.Hour
	}
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.MaxInspectBytes <= 0 {
		c.MaxInspectBytes = 64 << 10
	}
	if len(c.Scenarios) == 0 {
		c.Scenarios = DefaultScenarios()
	}
	for i := range c.Scenarios {
		if c.Scenarios[i].Block <= 0 {
			c.Scenarios[i].Block = 15 * time.Minute
		}
	}
	return c
}

// parseAllowIPs reads addresses and CIDRs.
func parseAllowIPs(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("sentinel.allow.ips: %q is neither an address nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

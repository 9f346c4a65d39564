package privguard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/window"
)

// Name is the agent's name in its findings.
const Name = "privguard"

// LabelPrivilegeProbing is the label of PrivGuard's findings.
const LabelPrivilegeProbing = "privilege_probing"

const sqlInsufficientPrivilege = "42501"

// Agent watches requests for privilege probing. Make one with [New]; it
// is safe for concurrent use.
type Agent struct {
	cfg     Config
	schemas map[string]bool // ProtectedSchemas, lowercased
	actors  *window.Table[state]
	tally   *window.Tally
}

var _ event.Agent = (*Agent)(nil)

type state struct {
	denials                    window.Recent
	relations                  window.Distinct // refused relations
	protected                  window.Distinct // protected relations named
	burst, spread              window.Latch
	protectedOne, protectedAll window.Latch
	claim                      window.Latch
}

func (s *state) Reset() {
	s.denials.Reset()
	s.relations.Reset()
	s.protected.Reset()
	s.burst, s.spread, s.protectedOne, s.protectedAll, s.claim = window.Latch{}, window.Latch{}, window.Latch{}, window.Latch{}, window.Latch{}
}

// New returns an Agent with cfg's thresholds (zero fields take their
// defaults).
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.PrivilegedRoles, cfg.ProtectedAPIs = slices.Clone(cfg.PrivilegedRoles), slices.Clone(cfg.ProtectedAPIs) // the defaults are exported vars
	schemas := make(map[string]bool, len(cfg.ProtectedSchemas))
	for _, s := range cfg.ProtectedSchemas {
		schemas[strings.ToLower(s)] = true
	}
	return &Agent{
		cfg:     cfg,
		schemas: schemas,
		actors:  window.NewTable[state](cfg.MaxActors, cfg.Window),
		tally:   window.NewTally(LabelPrivilegeProbing),
	}, nil
}

// Name returns "privguard".
func (a *Agent) Name() string { return Name }

// Counters returns the events observed and the findings reported.
func (a *Agent) Counters() window.Counters { return a.tally.Snapshot() }

// Observe watches one event.
func (a *Agent) Observe(e *event.Event) []event.Finding {
	a.tally.Event()
	if e.Kind != event.KindRequest {
		return nil
	}
	refused := e.SQLState == sqlInsufficientPrivilege || e.Status == 403
	refusedAny := refused || e.Status == 401
	schema := ""
	if e.Relation != "" && slices.Contains(a.cfg.ProtectedAPIs, e.API) {
		if s := schemaOf(e.Relation); a.protectedSchema(s) {
			schema = s
		}
	}
	if !refusedAny && schema == "" && e.ClaimedRole == "" {
		return nil
	}
	var out []event.Finding
	now, c := e.Time.UnixNano(), &a.cfg
	k := window.Principal(&e.Actor)
	a.actors.Do(k, now, func(s *state) {
		if e.ClaimedRole != "" && s.claim.Fire(now, c.Window) {
			score := 0.8
			if slices.Contains(c.PrivilegedRoles, e.ClaimedRole) {
				score = 1
			}
			out = append(out, a.finding(fmt.Sprintf("a token claimed role %q, refused", e.ClaimedRole), score, k.Scope))
		}
		if schema != "" {
			s.protected.Add(window.Hash(e.Relation), now, c.ProtectedRelations)
			n, _ := s.protected.Within(now, c.Window)
			switch {
			case n >= c.ProtectedRelations && s.protectedAll.Fire(now, c.Window):
				out = append(out, a.finding(fmt.Sprintf("%d relations in protected schemas named within %v", n, c.Window), 1, k.Scope))
			case n < c.ProtectedRelations && s.protectedOne.Fire(now, c.Window):
				out = append(out, a.finding(fmt.Sprintf("a relation in protected schema %q named", schema), 0.7, k.Scope))
			}
		}
		if refused {
			s.denials.Add(now, c.Denials)
			if n := s.denials.Within(now, c.Window); n >= c.Denials && s.burst.Fire(now, c.Window) {
				out = append(out, a.finding(fmt.Sprintf("%d refusals within %v", n, c.Window), 0.7, k.Scope))
			}
		}
		if refusedAny && e.Relation != "" {
			s.relations.Add(window.Hash(e.Relation), now, c.DeniedRelations)
			if n, _ := s.relations.Within(now, c.Window); n >= c.DeniedRelations && s.spread.Fire(now, c.Window) {
				out = append(out, a.finding(fmt.Sprintf("refusals on %d relations within %v", n, c.Window), 0.8, k.Scope))
			}
		}
	})
	if len(out) > 0 {
		a.tally.Found(out)
	}
	return out
}

func (a *Agent) finding(reason string, score float64, scope string) event.Finding {
	return event.Finding{Agent: Name, Label: LabelPrivilegeProbing, Reason: reason, Score: score, Scope: scope}
}

// protectedSchema reports whether schema s is protected.
func (a *Agent) protectedSchema(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 3 && strings.EqualFold(s[:3], "pg_") {
		return true
	}
	if a.schemas[s] {
		return true
	}
	if strings.ToLower(s) == s { // the common case: no need to fold
		return false
	}
	return a.schemas[strings.ToLower(s)]
}

// schemaOf returns the schema of a schema-qualified relation name as a
// client wrote it ("auth.users", `"auth"."users"`), or "" when it is not
// qualified.
func schemaOf(rel string) string {
	rel = strings.TrimSpace(rel)
	if strings.HasPrefix(rel, `"`) {
		end := strings.IndexByte(rel[1:], '"')
		if end < 0 || !strings.HasPrefix(rel[end+2:], ".") {
			return ""
		}
		return rel[1 : end+1]
	}
	s, _, ok := strings.Cut(rel, ".")
	if !ok {
		return ""
	}
	return strings.TrimSpace(s)
}

package sentinel

import (
	"github.com/magflock/mobo/internal/sentinel/apiwatch"
	"github.com/magflock/mobo/internal/sentinel/authsentry"
	"github.com/magflock/mobo/internal/sentinel/dataguard"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/privguard"
	"github.com/magflock/mobo/internal/sentinel/sqlguard"
	"github.com/magflock/mobo/internal/sentinel/xssguard"
)

// Standard returns o with cfg and the sentinel's own agents: the value
// agents that inspect statements' values (SQL injection, script
// injection) and the behaviour agents (API abuse, authentication attacks,
// exfiltration, privilege probing), each configured by its section of
// cfg. PathGuard is not among the statement's value agents: a value bound
// to a statement never reaches a file path (auth checks redirect targets
// against its allow-list; storage keys will be its to inspect); it is in
// [Classifier].
func Standard(cfg Config, o Options) (Options, error) {
	o.Config = cfg
	sq, err := sqlguard.New(cfg.SQLGuard)
	if err != nil {
		return o, err
	}
	o.Values = []ValueAgent{{Name: sqlguard.Name, Inspector: sq}, {Name: xssguard.Name, Inspector: xssguard.New(cfg.XSSGuard)}}
	aw, err := apiwatch.New(cfg.APIWatch)
	if err != nil {
		return o, err
	}
	as, err := authsentry.New(cfg.AuthSentry)
	if err != nil {
		return o, err
	}
	dg, err := dataguard.New(cfg.DataGuard)
	if err != nil {
		return o, err
	}
	pg, err := privguard.New(cfg.PrivGuard)
	if err != nil {
		return o, err
	}
	o.Agents = []event.Agent{aw, as, dg, pg}
	return o, nil
}

// SetResponder sets who carries out revocations (the auth component,
// built after the sentinel it consults). Call it before Start.
func (s *Sentinel) SetResponder(r Responder) { s.resp = r }

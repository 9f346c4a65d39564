package authsentry

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/window"
)

// Name is the agent's name in its findings.
const Name = "authsentry"

// The labels of AuthSentry's findings.
const (
	LabelBruteForce         = "brute_force"
	LabelCredentialStuffing = "credential_stuffing" //nolint:gosec // a finding's label, not a credential
	LabelPasswordSpraying   = "password_spraying"
	LabelMFAGuessing        = "mfa_guessing"
	LabelTokenReplay        = "token_replay"
)

// The refresh failures AuthSentry tells apart.
const (
	reasonTokenReused   = "refresh_token_already_used"
	reasonTokenNotFound = "refresh_token_not_found"
)

// Agent watches authentication attempts for brute force, credential
// stuffing, password spraying, MFA guessing and token replay. Make one
// with [New]; it is safe for concurrent use.
type Agent struct {
	cfg         Config
	accountCap  int // the most accounts a source's set keeps
	accounts    *window.Table[accountState]
	sources     *window.Table[sourceState] // by address and by network
	users       *window.Table[userState]   // by user and by session
	tally       *window.Tally
	reasonIsBad func(string) bool
}

var _ event.Agent = (*Agent)(nil)

type accountState struct {
	fails window.Recent
	brute window.Latch
}

func (s *accountState) Reset() { s.fails.Reset(); s.brute = window.Latch{} }

type sourceState struct {
	accounts           window.Distinct // failed accounts
	stuffing, spraying window.Latch
	brute              window.Latch
	notFound           window.Recent
	replay             window.Latch
}

func (s *sourceState) Reset() {
	s.accounts.Reset()
	s.notFound.Reset()
	s.stuffing, s.spraying, s.brute, s.replay = window.Latch{}, window.Latch{}, window.Latch{}, window.Latch{}
}

type userState struct {
	mfa      window.Recent
	mfaLatch window.Latch
	replay   window.Latch
}

func (s *userState) Reset() { s.mfa.Reset(); s.mfaLatch, s.replay = window.Latch{}, window.Latch{} }

// New returns an Agent with cfg's thresholds (zero fields take their
// defaults).
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	idle := max(cfg.BruteForceWindow, cfg.StuffingWindow, cfg.SprayingWindow, cfg.MFAWindow, cfg.TokenWindow)
	reasons := slices.Clone(cfg.FailureReasons)
	return &Agent{
		cfg:         cfg,
		accountCap:  max(cfg.StuffingAccounts, cfg.StuffingNetAccounts, cfg.SprayingAccounts, cfg.SprayingNetAccounts) + 8,
		accounts:    window.NewTable[accountState](cfg.MaxActors, idle),
		sources:     window.NewTable[sourceState](cfg.MaxActors, idle),
		users:       window.NewTable[userState](cfg.MaxActors, idle),
		tally:       window.NewTally(LabelBruteForce, LabelCredentialStuffing, LabelPasswordSpraying, LabelMFAGuessing, LabelTokenReplay),
		reasonIsBad: func(r string) bool { return slices.Contains(reasons, r) },
	}, nil
}

// Name returns "authsentry".
func (a *Agent) Name() string { return Name }

// Counters returns the events observed and the findings reported, by label.
func (a *Agent) Counters() window.Counters { return a.tally.Snapshot() }

// Observe watches one event; only [event.KindAuth] events with Auth set
// matter.
func (a *Agent) Observe(e *event.Event) []event.Finding {
	a.tally.Event()
	if e.Kind != event.KindAuth || e.Auth == nil {
		return nil
	}
	var out []event.Finding
	switch e.Auth.Action {
	case event.AuthPassword, event.AuthOTP:
		out = a.signIn(e)
	case event.AuthMFA:
		out = a.mfa(e)
	case event.AuthRefresh:
		out = a.refresh(e)
	}
	if len(out) > 0 {
		a.tally.Found(out)
	}
	return out
}

func (a *Agent) finding(label, reason string, score float64, scope, subject string) event.Finding {
	return event.Finding{Agent: Name, Label: label, Reason: reason, Score: score, Scope: scope, Subject: subject}
}

func (a *Agent) signIn(e *event.Event) []event.Finding {
	now, au := e.Time.UnixNano(), e.Auth
	ipKey, netKey := window.IPKey(&e.Actor), window.NetKey(e.Actor.IP)
	acct := window.Hash(au.Account)
	if au.OK {
		if au.Account == "" {
			return nil
		}
		a.accounts.Peek(window.Key{Scope: window.ScopeAccount, ID: au.Account}, now, func(s *accountState) { s.fails.Reset() })
		forget := func(s *sourceState) { s.accounts.Remove(acct) }
		a.sources.Peek(ipKey, now, forget)
		if netKey.Scope != "" {
			a.sources.Peek(netKey, now, forget)
		}
		return nil
	}
	if !a.reasonIsBad(au.Reason) || au.Account == "" {
		return nil
	}
	var out []event.Finding
	c := &a.cfg
	underAttack := false
	a.accounts.Do(window.Key{Scope: window.ScopeAccount, ID: au.Account}, now, func(s *accountState) {
		s.fails.Add(now, c.BruteForceFailures)
		n := s.fails.Within(now, c.BruteForceWindow)
		underAttack = n >= c.BruteForceFailures
		if underAttack && s.brute.Fire(now, c.BruteForceWindow) {
			out = append(out, a.finding(LabelBruteForce,
				fmt.Sprintf("%d failed sign-ins on one account within %v", n, c.BruteForceWindow),
				0.9, window.ScopeAccount, au.Account))
		}
	})
	ipDistinct := 0
	if e.Actor.IP.IsValid() {
		a.sources.Do(ipKey, now, func(s *sourceState) {
			fromHere := s.accounts.Add(acct, now, a.accountCap)
			if underAttack && int(fromHere) >= c.BruteForceSourceFailures && s.brute.Fire(now, c.BruteForceWindow) {
				out = append(out, a.finding(LabelBruteForce, "failing sign-ins on an account under brute force", 0.8, window.ScopeIP, ""))
			}
			ipDistinct, _ = s.accounts.Within(now, c.SprayingWindow)
			out = a.spread(out, s, now, window.ScopeIP, e.Actor.IP, "one address", c.StuffingAccounts, c.SprayingAccounts, 0.9, 0.8)
		})
	}
	if netKey.Scope != "" {
		a.sources.Do(netKey, now, func(s *sourceState) {
			s.accounts.Add(acct, now, a.accountCap)
			if netDistinct, _ := s.accounts.Within(now, c.SprayingWindow); ipDistinct*4 >= netDistinct*3 {
				return // this address alone explains the network's count: its own finding covers it
			}
			out = a.spread(out, s, now, window.ScopeNet, e.Actor.IP, "one network", c.StuffingNetAccounts, c.SprayingNetAccounts, 0.7, 0.6)
		})
	}
	return out
}

// spread reports stuffing or spraying from a source (an address or a
// network around ip) whose failed-accounts set s has just been updated.
func (a *Agent) spread(out []event.Finding, s *sourceState, now int64, scope string, ip netip.Addr, what string, stuffing, spraying int, stuffScore, sprayScore float64) []event.Finding {
	c := &a.cfg
	subject := func() string {
		if scope == window.ScopeNet {
			return netSubject(ip)
		}
		return ""
	}
	if n, _ := s.accounts.Within(now, c.StuffingWindow); n >= stuffing && s.stuffing.Fire(now, c.StuffingWindow) {
		return append(out, a.finding(LabelCredentialStuffing,
			fmt.Sprintf("failed sign-ins on %d accounts from %s within %v", n, what, c.StuffingWindow),
			stuffScore, scope, subject()))
	}
	if s.stuffing.Fired(now, c.SprayingWindow) {
		return out
	}
	n, total := s.accounts.Within(now, c.SprayingWindow)
	if n >= spraying && float64(total) <= c.SprayingMaxPerAccount*float64(n) && s.spraying.Fire(now, c.SprayingWindow) {
		out = append(out, a.finding(LabelPasswordSpraying,
			fmt.Sprintf("failed sign-ins on %d accounts, %.1f each, from %s within %v", n, float64(total)/float64(n), what, c.SprayingWindow),
			sprayScore, scope, subject()))
	}
	return out
}

func netSubject(ip netip.Addr) string {
	k := window.NetKey(ip)
	bits := 64
	if k.Addr.Is4() {
		bits = 24
	}
	return netip.PrefixFrom(k.Addr, bits).String()
}

func (a *Agent) mfa(e *event.Event) []event.Finding {
	now, au := e.Time.UnixNano(), e.Auth
	user := au.Account
	if user == "" {
		user = e.Actor.UserID
	}
	if user == "" {
		return nil
	}
	k := window.Key{Scope: window.ScopeUser, ID: user}
	if au.OK {
		a.users.Peek(k, now, func(s *userState) { s.mfa.Reset() })
		return nil
	}
	if !a.reasonIsBad(au.Reason) {
		return nil
	}
	var out []event.Finding
	c := &a.cfg
	a.users.Do(k, now, func(s *userState) {
		s.mfa.Add(now, c.MFAFailures)
		if n := s.mfa.Within(now, c.MFAWindow); n >= c.MFAFailures && s.mfaLatch.Fire(now, c.MFAWindow) {
			out = append(out, a.finding(LabelMFAGuessing,
				fmt.Sprintf("%d failed MFA verifies within %v", n, c.MFAWindow),
				0.9, window.ScopeUser, subjectUnless(user, e.Actor.UserID)))
		}
	})
	return out
}

func subjectUnless(v, inActor string) string {
	if v == inActor {
		return ""
	}
	return v
}

func (a *Agent) refresh(e *event.Event) []event.Finding {
	now, au := e.Time.UnixNano(), e.Auth
	if au.OK {
		return nil
	}
	var out []event.Finding
	c := &a.cfg
	switch au.Reason {
	case reasonTokenReused:
		k, subject := window.Key{Scope: window.ScopeSession, ID: e.Actor.Session}, ""
		if e.Actor.Session == "" {
			user := au.Account
			if user == "" {
				user = e.Actor.UserID
			}
			k, subject = window.Key{Scope: window.ScopeUser, ID: user}, subjectUnless(user, e.Actor.UserID)
			if user == "" {
				k, subject = window.IPKey(&e.Actor), ""
			}
		}
		a.users.Do(k, now, func(s *userState) {
			if s.replay.Fire(now, c.TokenWindow) {
				out = append(out, a.finding(LabelTokenReplay, "a rotated refresh token used again after the reuse interval", 0.9, k.Scope, subject))
			}
		})
	case reasonTokenNotFound:
		if !e.Actor.IP.IsValid() {
			return nil
		}
		a.sources.Do(window.IPKey(&e.Actor), now, func(s *sourceState) {
			s.notFound.Add(now, c.TokenNotFound)
			if n := s.notFound.Within(now, c.TokenWindow); n >= c.TokenNotFound && s.replay.Fire(now, c.TokenWindow) {
				out = append(out, a.finding(LabelTokenReplay,
					fmt.Sprintf("%d unknown refresh tokens from one address within %v", n, c.TokenWindow),
					0.6, window.ScopeIP, ""))
			}
		})
	}
	return out
}

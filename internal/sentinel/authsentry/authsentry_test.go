package authsentry

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/agenttest"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// seq builds a scripted sequence of auth events.
type seq struct {
	at     time.Duration
	events []*event.Event
}

// wait advances the clock.
func (s *seq) wait(d time.Duration) *seq { s.at += d; return s }

func (s *seq) add(ip netip.Addr, action event.AuthAction, account string, ok bool, reason string) *seq {
	s.events = append(s.events, &event.Event{
		Time: agenttest.T0.Add(s.at), Kind: event.KindAuth, API: "auth", Route: "auth:token", Method: "POST",
		Actor: event.Actor{IP: ip},
		Auth:  &event.Auth{Action: action, Account: account, OK: ok, Reason: reason},
	})
	return s
}

func (s *seq) fail(ip netip.Addr, account string) *seq {
	return s.add(ip, event.AuthPassword, account, false, "invalid_credentials")
}

func (s *seq) ok(ip netip.Addr, account string) *seq {
	return s.add(ip, event.AuthPassword, account, true, "")
}

var (
	attacker = netip.MustParseAddr("203.0.113.66")
	office   = netip.MustParseAddr("192.0.2.10")
	home     = netip.MustParseAddr("198.51.100.23")
)

func acct(i int) string { return fmt.Sprintf("user%d@example.com", i) }

func TestObserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(s *seq)
		want  []agenttest.Want
	}{
		// Detections.
		{"brute force from one address", func(s *seq) {
			for range 12 {
				s.fail(attacker, "alice@example.com").wait(10 * time.Second)
			}
		}, []agenttest.Want{
			{Label: LabelBruteForce, Scope: "account", Subject: "alice@example.com", By: 10},
			{Label: LabelBruteForce, Scope: "ip", By: 10},
		}},
		{"distributed brute force names its repeat sources", func(s *seq) {
			for i := range 16 { // 4 addresses in turn, 4 tries each
				s.fail(agenttest.Addr(i%4, true), "alice@example.com").wait(5 * time.Second)
			}
			for i := range 20 { // and 20 addresses once each
				s.fail(agenttest.Addr(100+i, true), "alice@example.com").wait(5 * time.Second)
			}
		}, []agenttest.Want{
			{Label: LabelBruteForce, Scope: "account", Subject: "alice@example.com", By: 10},
			{Label: LabelBruteForce, Scope: "ip", By: 10, Count: 4}, // each of the 4 at its 3rd try under attack (events 10 to 13)
		}},
		{"the owner mistypes once during a brute force", func(s *seq) {
			for range 12 {
				s.fail(attacker, "alice@example.com").wait(5 * time.Second)
			}
			s.fail(home, "alice@example.com").wait(5 * time.Second)
			s.ok(home, "alice@example.com")
		}, []agenttest.Want{
			{Label: LabelBruteForce, Scope: "account", Subject: "alice@example.com", By: 10},
			{Label: LabelBruteForce, Scope: "ip", By: 10}, // the attacker's only
		}},
		{"one-time code brute force", func(s *seq) {
			for range 10 {
				s.add(attacker, event.AuthOTP, "+15550100", false, "otp_expired").wait(3 * time.Second)
			}
		}, []agenttest.Want{
			{Label: LabelBruteForce, Scope: "account", Subject: "+15550100", By: 10},
			{Label: LabelBruteForce, Scope: "ip", By: 10},
		}},
		{"credential stuffing from one address", func(s *seq) {
			for i := range 40 {
				s.fail(attacker, acct(i)).wait(2 * time.Second)
				if i%30 == 7 {
					s.ok(attacker, acct(1000+i)) // a leaked pair that works
				}
			}
		}, []agenttest.Want{{Label: LabelCredentialStuffing, Scope: "ip", By: 21}}},
		{"credential stuffing from a /24, each address under the limit", func(s *seq) {
			for i := range 60 {
				ip := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i%10)})
				s.fail(ip, acct(i)).wait(3 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelCredentialStuffing, Scope: "net", Subject: "203.0.113.0/24", By: 50}}},
		{"credential stuffing from an IPv6 /64", func(s *seq) {
			for i := range 55 {
				ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 15: byte(i % 8)})
				s.fail(ip, acct(i)).wait(3 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelCredentialStuffing, Scope: "net", Subject: "2001:db8:1:2::/64", By: 50}}},
		{"password spraying, slow and one try per account", func(s *seq) {
			for i := range 40 {
				s.fail(attacker, acct(i)).wait(90 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelPasswordSpraying, Scope: "ip", By: 30}}},
		{"MFA code guessing", func(s *seq) {
			for range 8 {
				s.add(home, event.AuthMFA, "u-1", false, "mfa_verification_failed").wait(4 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelMFAGuessing, Scope: "user", Subject: "u-1", By: 5}}},
		{"refresh token reuse after rotation", func(s *seq) {
			s.add(home, event.AuthRefresh, "u-1", true, "").wait(time.Hour)
			s.add(attacker, event.AuthRefresh, "u-1", false, "refresh_token_already_used")
			s.add(attacker, event.AuthRefresh, "u-1", false, "refresh_token_already_used")
		}, []agenttest.Want{{Label: LabelTokenReplay, Scope: "user", Subject: "u-1", By: 2}}},
		{"revoked refresh tokens replayed from one address", func(s *seq) {
			for range 12 {
				s.add(attacker, event.AuthRefresh, "", false, "refresh_token_not_found").wait(20 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelTokenReplay, Scope: "ip", By: 10}}},

		// Benign traffic.
		{"a user mistyping twice", func(s *seq) {
			s.fail(home, "bob@example.com").wait(5 * time.Second)
			s.fail(home, "bob@example.com").wait(8 * time.Second)
			s.ok(home, "bob@example.com")
		}, nil},
		{"a user who forgot the password, then reset it", func(s *seq) {
			for range 7 {
				s.fail(home, "carol@example.com").wait(20 * time.Second)
			}
			s.add(home, event.AuthRecover, "carol@example.com", true, "").wait(3 * time.Minute)
			s.ok(home, "carol@example.com")
			s.fail(home, "carol@example.com").wait(time.Second) // and mistyped again later
			s.fail(home, "carol@example.com")
		}, nil},
		{"an office NAT at 9am: 40 people mistype once, then get in", func(s *seq) {
			for i := range 40 {
				s.fail(office, acct(i)).wait(3 * time.Second)
				s.ok(office, acct(i)).wait(2 * time.Second)
			}
			for i := range 100 {
				s.ok(office, acct(100+i)).wait(time.Second)
			}
		}, nil},
		{"not-a-guess failures: unconfirmed emails and rate limits", func(s *seq) {
			for i := range 60 {
				s.add(office, event.AuthPassword, acct(i), false, "email_not_confirmed").wait(time.Second)
				s.add(office, event.AuthPassword, acct(i), false, "over_request_rate_limit").wait(time.Second)
			}
		}, nil},
		{"MFA: a wrong code, then the right one, a few times", func(s *seq) {
			for range 4 {
				s.add(home, event.AuthMFA, "u-2", false, "mfa_verification_failed").wait(10 * time.Second)
				s.add(home, event.AuthMFA, "u-2", false, "mfa_verification_failed").wait(10 * time.Second)
				s.add(home, event.AuthMFA, "u-2", true, "").wait(time.Minute)
			}
		}, nil},
		{"a stale refresh token after sign-out, retried once", func(s *seq) {
			s.add(home, event.AuthRefresh, "", false, "refresh_token_not_found").wait(time.Second)
			s.add(home, event.AuthRefresh, "", false, "refresh_token_not_found").wait(time.Second)
			for range 20 {
				s.add(home, event.AuthRefresh, "u-3", true, "").wait(time.Hour)
			}
		}, nil},
		{"ordinary API requests", func(s *seq) {
			for range 50 {
				s.events = append(s.events, &event.Event{Time: agenttest.T0.Add(s.at), Kind: event.KindRequest, Status: 401, Actor: event.Actor{IP: attacker}})
			}
		}, nil},
		{"slow failures under every threshold", func(s *seq) {
			for i := range 30 {
				s.fail(home, "dave@example.com").wait(2 * time.Minute) // 2-3 per 5 minutes
				if i%3 == 0 {
					s.ok(home, "erin@example.com")
				}
			}
		}, nil},
	}
	for _, tt := range tests {
		agenttest.Scenario(t, tt.name, New, Config{}, func() []*event.Event {
			s := &seq{}
			tt.build(s)
			return s.events
		}, tt.want)
	}
}

// TestOncePerWindow: an attack that goes on is reported once per window,
// not once per attempt.
func TestOncePerWindow(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	s := &seq{}
	for range 240 { // 20 minutes, one failure each 5s
		s.fail(attacker, "alice@example.com").wait(5 * time.Second)
	}
	agenttest.Check(t, "20 minutes of brute force", agenttest.Run(a, s.events), []agenttest.Want{
		{Label: LabelBruteForce, Scope: "account", Subject: "alice@example.com", By: 10, Count: 4},
		{Label: LabelBruteForce, Scope: "ip", By: 10, Count: 4},
	})
	c := a.Counters()
	if c.Events != 240 || c.Findings[LabelBruteForce] != 8 {
		t.Errorf("Counters = %+v, want 240 events and 8 brute_force findings", c)
	}
}

// benign is traffic of n users from their own addresses: sign-ins, an
// occasional mistype, refreshes.
func benign(n int, start time.Duration) []*event.Event {
	s := &seq{at: start}
	for round := range 5 {
		for i := range n {
			ip := agenttest.Addr(i, true)
			if (i+round)%7 == 0 {
				s.fail(ip, acct(i))
			}
			s.ok(ip, acct(i)).add(ip, event.AuthRefresh, fmt.Sprint("u", i), true, "").wait(100 * time.Millisecond)
		}
	}
	return s.events
}

// TestInterleaved: many users and one stuffing attacker at once; only the
// attacker is reported.
func TestInterleaved(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	users := benign(300, 0)
	atk := &seq{}
	for i := range 60 {
		atk.fail(attacker, acct(5000+i)).wait(time.Second)
	}
	// Interleave by time.
	var all []*event.Event
	i, j := 0, 0
	for i < len(users) || j < len(atk.events) {
		if j == len(atk.events) || i < len(users) && users[i].Time.Before(atk.events[j].Time) {
			all = append(all, users[i])
			i++
		} else {
			all = append(all, atk.events[j])
			j++
		}
	}
	got := agenttest.Run(a, all)
	agenttest.Check(t, "interleaved", got, []agenttest.Want{{Label: LabelCredentialStuffing, Scope: "ip", By: len(all)}})
}

// TestConcurrentObserve runs attackers and users from many goroutines at
// once (for -race) and checks that each attack is still reported once.
func TestConcurrentObserve(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	var seqs [][]*event.Event
	for g := range 4 {
		s := &seq{}
		ip := netip.AddrFrom4([4]byte{203, 0, byte(100 + g), 9})
		for i := range 30 {
			s.fail(ip, fmt.Sprintf("g%d-%d@example.com", g, i)).wait(time.Second)
		}
		seqs = append(seqs, s.events)
		seqs = append(seqs, benign(100, time.Duration(g)*time.Millisecond))
	}
	results := agenttest.Concurrently(a, seqs)
	for i, got := range results {
		var want []agenttest.Want
		if i%2 == 0 {
			want = []agenttest.Want{{Label: LabelCredentialStuffing, Scope: "ip", By: 20}}
		}
		agenttest.Check(t, fmt.Sprint("sequence ", i), got, want)
	}
	var total uint64
	for _, s := range seqs {
		total += uint64(len(s))
	}
	if c := a.Counters(); c.Events != total || c.Findings[LabelCredentialStuffing] != 4 {
		t.Errorf("Counters = %+v, want %d events, 4 stuffing findings", c, total)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []agenttest.ConfigCase{
		{Name: "zero is the defaults", Cfg: Config{}, OK: true},
		{Name: "set", Cfg: Config{BruteForceFailures: 5, BruteForceWindow: time.Minute, FailureReasons: []string{"invalid_credentials"}}, OK: true},
		{Name: "negative count", Cfg: Config{StuffingAccounts: -1}, OK: false},
		{Name: "negative window", Cfg: Config{MFAWindow: -time.Second}, OK: false},
		{Name: "huge threshold", Cfg: Config{StuffingNetAccounts: 5000}, OK: false},
		{Name: "empty reason", Cfg: Config{FailureReasons: []string{""}}, OK: false},
	}
	agenttest.Validate(t, ErrInvalidConfig, cases)
	for _, tt := range cases {
		if _, err := New(tt.Cfg.(Config)); (err == nil) != tt.OK {
			t.Errorf("%s: New error = %v, want ok=%v", tt.Name, err, tt.OK)
		}
	}
}

func TestOddEvents(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	agenttest.Odd(t, a)
}

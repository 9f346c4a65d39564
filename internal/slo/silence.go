package slo

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Silence mutes the notifications (and escalations) of the alerts it
// matches between StartsAt and EndsAt. An empty matcher matches any
// value; at least one must be set. Alerts still change state and are
// recorded while silenced.
type Silence struct {
	ID        string    `json:"id"`
	Objective string    `json:"objective,omitempty"`
	API       string    `json:"api,omitempty"`
	Project   string    `json:"project,omitempty"`
	Severity  string    `json:"severity,omitempty"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

// Active reports whether the silence is in force at t.
func (s *Silence) Active(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

func (s *Silence) matches(a *Alert) bool {
	return match(s.Objective, a.Objective) && match(s.API, a.API) && match(s.Project, a.Project) && match(s.Severity, a.Severity)
}

func match(m, v string) bool { return m == "" || m == "*" || m == v }

func (s *Silence) validate() error {
	if strings.Trim(s.Objective+s.API+s.Project+s.Severity, "*") == "" {
		return fmt.Errorf("%w: a silence needs at least one matcher (objective, api, project or severity)", ErrInvalid)
	}
	if strings.TrimSpace(s.CreatedBy) == "" || strings.TrimSpace(s.Comment) == "" {
		return fmt.Errorf("%w: a silence needs an author (created_by) and a comment", ErrInvalid)
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("%w: a silence must end after it starts", ErrInvalid)
	}
	for _, f := range []string{s.Objective, s.API, s.Project, s.Severity, s.CreatedBy} {
		if len(f) > 200 {
			return fmt.Errorf("%w: silence field too long", ErrInvalid)
		}
	}
	if len(s.Comment) > 2000 {
		return fmt.Errorf("%w: comment too long", ErrInvalid)
	}
	return nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

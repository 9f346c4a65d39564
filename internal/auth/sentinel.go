package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// noteAttempt tells the request's event that it is an authentication
// attempt naming account (an email or phone, or a user id for MFA), for
// the sentinel's AuthSentry; [noteOutcome] adds how it ended.
func noteAttempt(r *http.Request, action event.AuthAction, account string) {
	event.NoteFrom(r.Context()).Set(func(e *event.Event) {
		e.Auth = &event.Auth{Action: action, Account: account}
	})
}

// noteOutcome records an attempt's outcome: success, or Supabase Auth's
// error code. Requests that were no attempt are left alone.
func noteOutcome(r *http.Request, err error) {
	event.NoteFrom(r.Context()).Set(func(e *event.Event) {
		if e.Auth == nil {
			return
		}
		e.Auth.OK = err == nil
		var ae *Error
		if errors.As(err, &ae) {
			e.Auth.Reason, e.Code = ae.Code, ae.Code
		}
	})
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// RevokeSessions ends every session of user id of project ref (the
// sentinel's response to MFA guessing or token replay): its refresh
// tokens stop working at once, its access tokens at their expiry.
func (s *Service) RevokeSessions(ctx context.Context, ref, userID string) error {
	p, err := s.project(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := newUUIDCheck(userID); err != nil {
		return errUserNotFound
	}
	if _, err := p.pool.Exec(ctx, `delete from auth.sessions where user_id = $1`, userID); err != nil {
		return fmt.Errorf("revoking the sessions of user %s: %w", userID, err)
	}
	return nil
}

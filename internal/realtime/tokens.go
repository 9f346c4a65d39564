package realtime

import (
	"context"
	"errors"
	"time"

	"github.com/magflock/mobo/internal/gate"
)

// A channel's token is checked at join and whenever the client sends a new
// one, and again every [Config.TokenCheckInterval] and at once when the
// project's keys or settings change (ProjectChanged): a token that expired,
// or that no longer verifies because the project's secret was rotated or
// the key revoked, closes the channel with a system message saying why.
// Verified tokens are cached by the authenticator, so a check of a still
// valid token is a map lookup.

func (s *Server) runTokenCheck(ctx context.Context) {
	t := time.NewTicker(s.cfg.TokenCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.checkTokens(ctx, "")
		}
	}
}

// ProjectChanged checks again the tokens of project ref's channels, now:
// the tenant change hook, run after a key rotation or a settings change
// (once the auth service forgot the old secret).
func (s *Server) ProjectChanged(ctx context.Context, ref string) error {
	s.checkTokens(ctx, ref)
	return nil
}

// tokenFailed tells a token that does not hold from a failure to check it.
func tokenFailed(err error) bool {
	return errors.Is(err, gate.ErrInvalidToken) || errors.Is(err, gate.ErrExpiredToken) ||
		errors.Is(err, gate.ErrNoCredentials) || errors.Is(err, gate.ErrForbidden)
}

// checkTokens authenticates again the token of each joined channel of
// project ref ("": of every project) and revokes the channels whose token
// fails.
func (s *Server) checkTokens(ctx context.Context, ref string) {
	s.mu.Lock()
	var socks []*socket
	if r := s.run; r != nil {
		for sk := range r.sockets {
			if ref == "" || sk.ref == ref {
				socks = append(socks, sk)
			}
		}
	}
	s.mu.Unlock()
	for _, sk := range socks {
		sk.mu.Lock()
		chans := make([]*channel, 0, len(sk.channels))
		for _, ch := range sk.channels {
			chans = append(chans, ch)
		}
		sk.mu.Unlock()
		for _, ch := range chans {
			v := ch.viewer.Load()
			if v == nil {
				continue
			}
			pr, err := s.gate.Authenticate(ctx, sk.ref, gate.Credentials{APIKey: sk.apiKey, Bearer: v.token})
			var nv *viewer
			if err == nil { // and the gate still allows what the channel does (roles change)
				nv, err = s.decide(ctx, sk.ref, ch, pr, v.token)
			}
			switch {
			case err == nil:
				ch.viewer.CompareAndSwap(v, nv)
			case ctx.Err() != nil:
				return
			case tokenFailed(err):
				s.log.Debug("closing a channel whose token no longer holds", "ref", sk.ref, "topic", ch.topic, "err", err)
				sk.revoke(ctx, ch, v, err)
			default: // the authenticator could not tell (its database, say): try again next time
				s.log.Warn("checking a channel's token", "ref", sk.ref, "err", err)
			}
		}
	}
}

package auth

import (
	"context"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// hashPassword returns a GoTrue-compatible bcrypt hash ($2a$).
func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cfg.BcryptCost)
	return string(h), err
}

// checkPassword compares pw with hash in constant time; an empty hash (an
// unknown user, or one without a password) is compared against the dummy
// hash so that the answer takes as long.
func (s *Service) checkPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// checkStrength applies the password rules; it returns a weak_password error
// with GoTrue's reasons ("length", "characters").
func (s *Service) checkStrength(ctx context.Context, pw string) error {
	cfg := s.conf(ctx)
	var reasons []string
	msgs := []string{}
	if utf8.RuneCountInString(pw) < cfg.PasswordMinLength {
		reasons = append(reasons, "length")
		msgs = append(msgs, "Password should be at least "+itoa(cfg.PasswordMinLength)+" characters.")
	}
	if len(pw) > 72 { // bcrypt's limit
		return errValidation("Password cannot be longer than 72 characters")
	}
	for _, set := range cfg.PasswordRequiredCharacters {
		if !strings.ContainsAny(pw, set) {
			reasons = append(reasons, "characters")
			msgs = append(msgs, "Password should contain at least one character of each: "+strings.Join(cfg.PasswordRequiredCharacters, ", ")+".")
			break
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	e := apiErr(422, "weak_password", strings.Join(msgs, " "))
	e.Extra = map[string]any{"weak_password": map[string]any{"reasons": reasons}}
	return e
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Package secrets seals the platform's secrets at rest: project JWT
// secrets and service keys, role passwords, the admin key and secret
// settings (an SMTP password, a provider's client secret) are stored in the
// control plane encrypted with AES-256-GCM under a key that PostgreSQL never
// sees, so a dump, a backup or a stolen data directory of the control plane
// reveals none of them.
//
// A sealed value is text: "sealed:1:<key id>:<base64 of nonce and
// ciphertext>". Each is bound to where it is stored (the additional data
// names the table, column and row), so a sealed value copied to another
// row does not open. A [Keyring] holds the current key, which seals, and
// previous keys, which still open: rotating a key is adding a new current
// key and keeping the old one as previous until every value was sealed
// again (the control plane and the tenant manager do that at start).
// Values stored before sealing existed (no prefix) open as themselves and
// are sealed at the next start.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

const prefix = "sealed:1:"

// ErrUnknownKey: a value was sealed under a key the keyring does not hold
// (a previous key dropped too early, or another installation's data).
var ErrUnknownKey = errors.New("sealed under a key this keyring does not hold")

// ErrTampered: a sealed value does not open with its key and place.
var ErrTampered = errors.New("the sealed value does not open: altered, or moved from elsewhere")

// Keyring seals with its current key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	current string // key id
	aeads   map[string]cipher.AEAD
}

// GenerateKey returns a new random key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating a key: %w", err)
	}
	return k, nil
}

// ParseKey decodes a key written as base64 (standard or URL alphabet) or
// hex, as the configuration and key files hold it.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("a secrets key is %d bytes written as base64 or hex", KeySize)
}

// EncodeKey writes a key as ParseKey reads it.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// NewKeyring returns a keyring sealing with current and opening with it and
// the previous keys.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, key := range append([][]byte{current}, previous...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("a secrets key is %d bytes, not %d", KeySize, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := keyID(key)
		k.aeads[id] = aead
		if i == 0 {
			k.current = id
		}
	}
	return k, nil
}

// keyID names a key without revealing it.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("mobo secrets key id\x00"), key...))
	return hex.EncodeToString(sum[:6])
}

// Seal encrypts plain for the place where it is stored (such as
// "projects.jwt_secret:shop").
func (k *Keyring) Seal(place, plain string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealing: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(place))
	return prefix + k.current + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value stored at place. A value that was never sealed
// (no prefix) is returned as it is.
func (k *Keyring) Open(place, stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, prefix)
	if !ok {
		return stored, nil
	}
	id, data, ok := strings.Cut(rest, ":")
	aead := k.aeads[id]
	if !ok || aead == nil {
		return "", fmt.Errorf("opening %s: key %s: %w", place, id, ErrUnknownKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("opening %s: %w", place, ErrTampered)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(place))
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", place, ErrTampered)
	}
	return string(plain), nil
}

// Current reports whether stored is sealed under the current key; values
// that are not are sealed again at start.
func (k *Keyring) Current(stored string) bool {
	return strings.HasPrefix(stored, prefix+k.current+":")
}

// Reseal returns stored sealed under the current key, and whether it
// changed.
func (k *Keyring) Reseal(place, stored string) (string, bool, error) {
	if k.Current(stored) {
		return stored, false, nil
	}
	plain, err := k.Open(place, stored)
	if err != nil {
		return "", false, err
	}
	out, err := k.Seal(place, plain)
	return out, err == nil, err
}

// SettingPlace is where the control plane stores the setting named key
// (mobo.settings), for Seal and Open.
func SettingPlace(key string) string { return "settings:" + key }

// NewRandomKeyring returns a keyring with a new random key, for sealed
// values that need not outlive the process (benchmarks, tests).
func NewRandomKeyring() *Keyring {
	k, err := GenerateKey()
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	kr, _ := NewKeyring(k)
	return kr
}

package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey is one asymmetric key of a project.
type signingKey struct {
	kid    string
	alg    string // RS256 or ES256
	priv   crypto.Signer
	pub    crypto.PublicKey
	status string // current, standby, previous, revoked
}

// keyring holds a project's signing keys: the HS256 secret, and asymmetric
// keys by kid. Reads take the read lock; rotation swaps under the write lock.
type keyring struct {
	secret []byte
	alg    string // what sign uses

	mu      sync.RWMutex
	keys    map[string]*signingKey
	current string
	// onChange is called after the keys change.
	onChange func()
}

// sign signs claims with the configured algorithm.
func (k *keyring) sign(claims jwt.MapClaims) (string, error) {
	if k.alg == "HS256" {
		return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(k.secret)
	}
	k.mu.RLock()
	key := k.keys[k.current]
	k.mu.RUnlock()
	if key == nil {
		return "", fmt.Errorf("no current %s signing key", k.alg)
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(key.alg), claims)
	t.Header[claimKid] = key.kid
	s, err := t.SignedString(key.priv)
	if err != nil {
		return "", fmt.Errorf("signing a token: %w", err)
	}
	return s, nil
}

// verifyKey returns the key that verifies a token with header kid, if usable.
func (k *keyring) verifyKey(kid string) (*signingKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	key, ok := k.keys[kid]
	if !ok || key.status == "revoked" {
		return nil, false
	}
	return key, true
}

// jwks is the public key set.
func (k *keyring) jwks() map[string]any {
	k.mu.RLock()
	defer k.mu.RUnlock()
	keys := []map[string]any{}
	for _, key := range k.keys {
		if key.status == "revoked" {
			continue
		}
		keys = append(keys, publicJWK(key))
	}
	return map[string]any{"keys": keys}
}

func publicJWK(k *signingKey) map[string]any {
	j := map[string]any{"kid": k.kid, "alg": k.alg, "use": "sig", "key_ops": []string{"verify"}}
	b64 := base64.RawURLEncoding.EncodeToString
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		j["kty"], j["n"], j["e"] = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		b, _ := pub.Bytes() // uncompressed point: 0x04 || X || Y
		size := (len(b) - 1) / 2
		j["kty"], j["crv"], j["x"], j["y"] = "EC", "P-256", b64(b[1:1+size]), b64(b[1+size:])
	}
	return j
}

// jwk is a JSON Web Key as found in a JWK set file.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
	X   string `json:"x"`
	Y   string `json:"y"`
	// KeyOps says which key signs in a keys file (GoTrue's "sign").
	KeyOps []string `json:"key_ops,omitempty"`
}

var errBadJWK = errors.New("bad JWK")

// parseJWK decodes a private RSA or P-256 JWK.
func parseJWK(j jwk) (*signingKey, error) {
	dec := func(s string) (*big.Int, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%w: bad base64url field", errBadJWK)
		}
		return new(big.Int).SetBytes(b), nil
	}
	switch j.Kty {
	case "RSA":
		n, err := dec(j.N)
		if err != nil {
			return nil, err
		}
		e, err := dec(j.E)
		if err != nil {
			return nil, err
		}
		d, err := dec(j.D)
		if err != nil {
			return nil, err
		}
		p, err := dec(j.P)
		if err != nil {
			return nil, err
		}
		q, err := dec(j.Q)
		if err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31 || n.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key too small or bad exponent", errBadJWK)
		}
		key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		if err := key.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadJWK, err)
		}
		key.Precompute()
		return &signingKey{kid: j.Kid, alg: "RS256", priv: key, pub: &key.PublicKey}, nil
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("%w: curve %q, want P-256", errBadJWK, j.Crv)
		}
		db, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.D, "="))
		if err != nil || len(db) != 32 {
			return nil, fmt.Errorf("%w: bad EC private scalar", errBadJWK)
		}
		key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), db)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadJWK, err)
		}
		return &signingKey{kid: j.Kid, alg: "ES256", priv: key, pub: &key.PublicKey}, nil
	}
	return nil, fmt.Errorf("%w: kty %q", errBadJWK, j.Kty)
}

// privateJWK encodes a generated key for storage.
func privateJWK(k *signingKey) (map[string]any, error) {
	j := publicJWK(k)
	b64 := base64.RawURLEncoding.EncodeToString
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		j["d"], j["p"], j["q"] = b64(priv.D.Bytes()), b64(priv.Primes[0].Bytes()), b64(priv.Primes[1].Bytes())
	case *ecdsa.PrivateKey:
		b, err := priv.Bytes()
		if err != nil {
			return nil, err
		}
		j["d"] = b64(b)
	}
	return j, nil
}

func generateKey(alg string) (*signingKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("cannot generate a %s key", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating a %s key: %w", alg, err)
	}
	k := &signingKey{alg: alg, priv: priv, pub: priv.Public()}
	pj := publicJWK(k)
	delete(pj, "kid")
	b, _ := json.Marshal(pj) // maps of strings
	sum := sha256.Sum256(b)
	k.kid = base64.RawURLEncoding.EncodeToString(sum[:12])
	return k, nil
}

// loadKeyring loads project p's asymmetric keys: the configured ones when
// there are, else those of auth.signing_keys, generating a current key when
// the configured algorithm needs one and none exists.
func (s *Service) loadKeyring(ctx context.Context, p *project) (*keyring, error) {
	k := &keyring{secret: p.secret, alg: strings.ToUpper(s.cfg.JWTAlgorithm), keys: map[string]*signingKey{}, onChange: p.renew}
	if s.cfgKeys != nil {
		s.cfgKeys.fill(k)
		return k, nil
	}
	if err := s.reloadKeys(ctx, p.pool, k); err != nil {
		return nil, err
	}
	if k.alg != "HS256" && (k.current == "" || k.keys[k.current].alg != k.alg) {
		if err := s.rotate(ctx, p.pool, k, k.alg); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (s *Service) reloadKeys(ctx context.Context, q querier, k *keyring) error {
	rows, err := q.Query(ctx, `select kid, private_jwk, status from auth.signing_keys where status <> 'revoked'`)
	if err != nil {
		return fmt.Errorf("reading signing keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]*signingKey{}
	current := ""
	for rows.Next() {
		var (
			kid, status string
			j           jwk
		)
		if err := rows.Scan(&kid, &j, &status); err != nil {
			return fmt.Errorf("reading signing keys: %w", err)
		}
		key, err := parseJWK(j)
		if err != nil {
			return fmt.Errorf("signing key %q: %w", kid, err)
		}
		key.kid, key.status = kid, status
		keys[kid] = key
		if status == "current" {
			current = kid
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading signing keys: %w", err)
	}
	k.mu.Lock()
	k.keys, k.current = keys, current
	k.mu.Unlock()
	if k.onChange != nil {
		k.onChange() // tokens of a revoked key must not stay cached
	}
	return nil
}

// rotate makes a new key of alg current; the previous current key stays
// published (status previous) so tokens it signed stay valid until they expire.
func (s *Service) rotate(ctx context.Context, q querier, k *keyring, alg string) error {
	key, err := generateKey(alg)
	if err != nil {
		return err
	}
	priv, err := privateJWK(key)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `update auth.signing_keys set status = 'previous', rotated_at = $1 where status = 'current'`, s.now()); err != nil {
		return fmt.Errorf("retiring the current signing key: %w", err)
	}
	if _, err := q.Exec(ctx, `insert into auth.signing_keys (kid, algorithm, private_jwk, public_jwk, status, created_at) values ($1, $2, $3, $4, 'current', $5)`,
		key.kid, alg, priv, publicJWK(key), s.now()); err != nil {
		return fmt.Errorf("storing a signing key: %w", err)
	}
	return s.reloadKeys(ctx, q, k)
}

// RotateSigningKey makes a new asymmetric key of alg (RS256 or ES256) current
// for project ref. Tokens signed by earlier keys stay valid until they expire.
func (s *Service) RotateSigningKey(ctx context.Context, ref, alg string) (string, error) {
	p, err := s.project(ctx, ref)
	if err != nil {
		return "", err
	}
	if s.cfgKeys != nil {
		return "", errors.New("signing keys come from the configuration (auth.signing_keys_path or auth.signing_keys); rotate by editing it")
	}
	if err := s.rotate(ctx, p.pool, p.keys, alg); err != nil {
		return "", err
	}
	p.keys.mu.RLock()
	defer p.keys.mu.RUnlock()
	return p.keys.current, nil
}

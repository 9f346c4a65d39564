package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
)

// Signing keys may come from the configuration instead of the database:
// auth.signing_keys_path names a file, auth.signing_keys holds the text
// itself (GoTrue's GOTRUE_JWT_KEYS). Both accept GoTrue's and the Supabase
// CLI's format, a JSON array of JWKs, and a JWK Set ({"keys": [...]}). The
// key whose key_ops include "sign" signs (GoTrue's rule, at most one); when
// none says so, the first private key does. Keys without a private part
// only verify. They are read once, at Start, so that a bad file stops the
// boot with its reason instead of failing requests.

// configKeys are the keys of the configuration.
type configKeys struct {
	keys    []*signingKey
	current string // kid of the key that signs, "" if none
}

// loadConfigKeys reads the configured keys; nil when none are configured.
func (c Config) loadConfigKeys() (*configKeys, error) {
	switch {
	case c.SigningKeysPath != "" && c.SigningKeys != "":
		return nil, errors.New("auth.signing_keys and auth.signing_keys_path: set one of them")
	case c.SigningKeys != "":
		ks, err := parseKeySet([]byte(c.SigningKeys))
		if err != nil {
			return nil, fmt.Errorf("auth.signing_keys: %w", err)
		}
		return ks, c.checkSigningAlg(ks, "auth.signing_keys")
	case c.SigningKeysPath != "":
		b, err := os.ReadFile(c.SigningKeysPath)
		if err != nil {
			return nil, fmt.Errorf("auth.signing_keys_path: %w", err)
		}
		ks, err := parseKeySet(b)
		if err != nil {
			return nil, fmt.Errorf("auth.signing_keys_path %s: %w", c.SigningKeysPath, err)
		}
		return ks, c.checkSigningAlg(ks, "auth.signing_keys_path")
	}
	return nil, nil
}

// checkSigningAlg requires a signing key of auth.jwt_algorithm unless
// tokens are signed with the project secret (HS256).
func (c Config) checkSigningAlg(ks *configKeys, key string) error {
	alg := strings.ToUpper(c.JWTAlgorithm)
	if alg == "" || alg == "HS256" {
		return nil
	}
	if ks.current == "" {
		return fmt.Errorf("%s: no private key to sign %s tokens with", key, alg)
	}
	if got := ks.byKid(ks.current).alg; got != alg {
		return fmt.Errorf("%s: the signing key %q is %s, auth.jwt_algorithm is %s", key, ks.current, got, alg)
	}
	return nil
}

func (ks *configKeys) byKid(kid string) *signingKey {
	for _, k := range ks.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// fill puts copies of the keys into a project's keyring.
func (ks *configKeys) fill(k *keyring) {
	for _, key := range ks.keys {
		c := *key
		c.status = "standby"
		if c.kid == ks.current {
			c.status, k.current = "current", c.kid
		}
		k.keys[c.kid] = &c
	}
}

// parseKeySet decodes a JSON array of JWKs or a JWK Set.
func parseKeySet(b []byte) (*configKeys, error) {
	list, err := decodeKeyList(b)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("no keys")
	}
	ks := &configKeys{}
	var signers []string
	for i, j := range list {
		key, err := parseAnyJWK(j)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if ks.byKid(key.kid) != nil {
			return nil, fmt.Errorf("key %d: kid %q appears twice", i, key.kid)
		}
		ks.keys = append(ks.keys, key)
		if slices.Contains(j.KeyOps, "sign") {
			if key.priv == nil {
				return nil, fmt.Errorf("key %d (kid %q): key_ops has sign but the key has no private part", i, key.kid)
			}
			signers = append(signers, key.kid)
		}
	}
	return ks, ks.chooseSigner(signers)
}

// decodeKeyList reads the JWKs of an array or of a JWK Set.
func decodeKeyList(b []byte) ([]jwk, error) {
	b = bytes.TrimSpace(b)
	var list []jwk
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("decoding the JWK array: %w", err)
		}
	case len(b) > 0 && b[0] == '{':
		var set struct {
			Keys *[]jwk `json:"keys"`
		}
		if err := json.Unmarshal(b, &set); err != nil {
			return nil, fmt.Errorf("decoding the JWK Set: %w", err)
		}
		if set.Keys == nil {
			return nil, errors.New(`an object without "keys": want a JSON array of JWKs or a JWK Set`)
		}
		list = *set.Keys
	default:
		return nil, errors.New("want a JSON array of JWKs or a JWK Set")
	}
	return list, nil
}

// chooseSigner picks the key that signs: the one marked sign, else the
// first private key.
func (ks *configKeys) chooseSigner(signers []string) error {
	if len(signers) > 1 {
		return fmt.Errorf("keys %s all have key_ops sign: only one key may sign", strings.Join(signers, ", "))
	}
	if len(signers) == 1 {
		ks.current = signers[0]
		return nil
	}
	for _, k := range ks.keys {
		if k.priv != nil {
			ks.current = k.kid
			return nil
		}
	}
	return nil
}

// parseAnyJWK decodes a private or public RSA or P-256 JWK that has a kid
// and, if it names one, the algorithm its type signs with.
func parseAnyJWK(j jwk) (*signingKey, error) {
	if j.Kid == "" {
		return nil, errors.New("no kid")
	}
	var (
		key *signingKey
		err error
	)
	if j.D == "" {
		key, err = parsePublicJWK(j)
	} else {
		key, err = parseJWK(j)
	}
	if err != nil {
		return nil, fmt.Errorf("kid %q: %w", j.Kid, err)
	}
	if j.Alg != "" && j.Alg != key.alg {
		return nil, fmt.Errorf("kid %q: alg %s does not fit kty %s, which signs %s", j.Kid, j.Alg, j.Kty, key.alg)
	}
	return key, nil
}

// parsePublicJWK decodes a public RSA or P-256 JWK: a key that verifies.
func parsePublicJWK(j jwk) (*signingKey, error) {
	switch j.Kty {
	case "RSA":
		return parsePublicRSA(j)
	case "EC":
		return parsePublicEC(j)
	}
	return nil, fmt.Errorf("%w: kty %q, want RSA or EC", errBadJWK, j.Kty)
}

func b64Field(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: bad base64url field", errBadJWK)
	}
	return b, nil
}

func parsePublicRSA(j jwk) (*signingKey, error) {
	n, err := b64Field(j.N)
	if err != nil {
		return nil, err
	}
	e, err := b64Field(j.E)
	if err != nil {
		return nil, err
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
	ev := new(big.Int).SetBytes(e)
	if !ev.IsInt64() || ev.Int64() < 3 || ev.Int64() > 1<<31 || pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: RSA key too small or bad exponent", errBadJWK)
	}
	pub.E = int(ev.Int64())
	return &signingKey{kid: j.Kid, alg: "RS256", pub: pub}, nil
}

func parsePublicEC(j jwk) (*signingKey, error) {
	if j.Crv != "P-256" {
		return nil, fmt.Errorf("%w: curve %q, want P-256", errBadJWK, j.Crv)
	}
	x, errX := b64Field(j.X)
	y, errY := b64Field(j.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, fmt.Errorf("%w: bad EC point", errBadJWK)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadJWK, err)
	}
	return &signingKey{kid: j.Kid, alg: "ES256", pub: pub}, nil
}

package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
)

// apiKeyPrefix starts every scoped secret key, so that it is told apart
// from a JWT without parsing and found by secret scanners.
const apiKeyPrefix = "mobo_sk_" //nolint:gosec // a public prefix, not a credential

// keyCacheTTL bounds how long another node may accept a revoked key; the
// node that revokes forgets the key at once.
const keyCacheTTL = 5 * time.Second

// KeySpec describes a key to create.
type KeySpec struct {
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Roles      []string   `json:"roles,omitempty"`
	AllowedIPs []string   `json:"allowed_ips,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

// KeyInfo describes a stored key; the secret itself is never stored.
type KeyInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	Roles      []string   `json:"roles"`
	AllowedIPs []string   `json:"allowed_ips"`
	ExpiresAt  *time.Time `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func hashKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// CreateKey stores a new scoped key for project ref and returns it with its
// secret, which is shown this once.
func (s *Service) CreateKey(ctx context.Context, ref string, spec KeySpec) (KeyInfo, string, error) {
	p, err := s.project(ctx, ref)
	if err != nil {
		return KeyInfo{}, "", err
	}
	if len(spec.Scopes) == 0 {
		return KeyInfo{}, "", fmt.Errorf("%w: a key needs at least one scope", ErrBadScope)
	}
	for i, sc := range spec.Scopes {
		parsed, err := gate.ParseScope(sc)
		if err != nil {
			return KeyInfo{}, "", err
		}
		spec.Scopes[i] = parsed.String()
	}
	ips := make([]netip.Prefix, 0, len(spec.AllowedIPs))
	for _, a := range spec.AllowedIPs {
		pfx, err := parsePrefix(a)
		if err != nil {
			return KeyInfo{}, "", err
		}
		ips = append(ips, pfx)
	}
	id, err := newUUID()
	if err != nil {
		return KeyInfo{}, "", err
	}
	secret, err := randomString(32)
	if err != nil {
		return KeyInfo{}, "", err
	}
	key := apiKeyPrefix + secret
	if spec.Roles == nil {
		spec.Roles = []string{}
	}
	row := p.pool.QueryRow(ctx, `insert into auth.api_keys (id, name, prefix, key_hash, scopes, roles, allowed_ips, expires_at, created_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning `+keyColumns,
		id, spec.Name, key[:len(apiKeyPrefix)+6], hashKey(key), spec.Scopes, spec.Roles, ips, spec.ExpiresAt, s.now())
	info, err := scanKey(row)
	if err != nil {
		return KeyInfo{}, "", fmt.Errorf("storing an api key: %w", err)
	}
	return info, key, nil
}

const keyColumns = `id, name, prefix, scopes, roles, allowed_ips::text[], expires_at, created_at, last_used_at, revoked_at`

func scanKey(row pgx.Row) (KeyInfo, error) {
	var k KeyInfo
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Scopes, &k.Roles, &k.AllowedIPs, &k.ExpiresAt, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// ListKeys lists project ref's keys, newest first.
func (s *Service) ListKeys(ctx context.Context, ref string) ([]KeyInfo, error) {
	p, err := s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := p.pool.Query(ctx, `select `+keyColumns+` from auth.api_keys order by created_at desc`)
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (KeyInfo, error) { return scanKey(r) })
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes key id of project ref; it fails from the next request on.
func (s *Service) RevokeKey(ctx context.Context, ref, id string) error {
	p, err := s.project(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := newUUIDCheck(id); err != nil {
		return ErrKeyNotFound
	}
	var hash string
	err = p.pool.QueryRow(ctx, `update auth.api_keys set revoked_at = coalesce(revoked_at, $2) where id = $1 returning key_hash`, id, s.now()).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrKeyNotFound
	}
	if err != nil {
		return fmt.Errorf("revoking api key %s: %w", id, err)
	}
	_ = s.caches.keys.Delete(ctx, ref+"|"+hash)
	return nil
}

// cachedKey is what authenticating a key needs.
type cachedKey struct {
	found     bool
	id        string
	scopes    []gate.Scope // parsed once per lookup
	roles     []string
	ips       []netip.Prefix
	expiresAt *time.Time
	revoked   bool
}

// authenticateKey checks a scoped key: known, not revoked, not expired, and
// from an allowed address. Lookups are cached for keyCacheTTL.
func (s *Service) authenticateKey(ctx context.Context, p *project, key, ip string) (*gate.Principal, error) {
	hash := hashKey(key)
	now := s.now()
	ck, ok := getFresh(s.caches.keys, p.ref+"|"+hash, now)
	if !ok {
		ck = &cachedKey{}
		var ips, scopes []string
		err := p.pool.QueryRow(ctx, `update auth.api_keys set last_used_at = $2 where key_hash = $1
			returning id, scopes, roles, allowed_ips::text[], expires_at, revoked_at is not null`, hash, s.now()).
			Scan(&ck.id, &scopes, &ck.roles, &ips, &ck.expiresAt, &ck.revoked)
		ck.scopes = gate.ParseScopes(scopes)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("looking up an api key: %w", err)
		default:
			ck.found = true
			for _, a := range ips {
				if pfx, err := netip.ParsePrefix(a); err == nil {
					ck.ips = append(ck.ips, pfx)
				}
			}
		}
		putUntil(s.caches.keys, p.ref+"|"+hash, ck, now, now.Add(keyCacheTTL))
	}
	if !ck.found || ck.revoked {
		return nil, fmt.Errorf("%w: %w", gate.ErrInvalidToken, errKeyRefused)
	}
	if ck.expiresAt != nil && !s.now().Before(*ck.expiresAt) {
		return nil, fmt.Errorf("%w: api key expired", gate.ErrExpiredToken)
	}
	if len(ck.ips) > 0 {
		addr, err := netip.ParseAddr(ip)
		allowed := false
		for _, pfx := range ck.ips {
			if err == nil && pfx.Contains(addr.Unmap()) {
				allowed = true
				break
			}
		}
		if !allowed {
			return nil, fmt.Errorf("%w: api key not allowed from this address", gate.ErrInvalidToken)
		}
	}
	roles := ck.roles
	if roles == nil {
		roles = []string{}
	}
	claims := map[string]any{gate.ClaimRole: "service_role", "key_id": ck.id, gate.ClaimAppMetadata: map[string]any{"roles": roles}}
	pr, err := gate.PrincipalFromClaims(claims)
	if err != nil {
		return nil, err
	}
	pr.KeyID = ck.id
	pr.Scopes = ck.scopes
	return pr, nil
}

func parsePrefix(a string) (netip.Prefix, error) {
	if pfx, err := netip.ParsePrefix(a); err == nil {
		return pfx.Masked(), nil
	}
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("allowed ip %q: want an address or CIDR", a)
	}
	return netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()), nil
}

func newUUIDCheck(id string) (string, error) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return "", errors.New("not a uuid")
	}
	for i, c := range id {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", errors.New("not a uuid")
		}
	}
	return id, nil
}

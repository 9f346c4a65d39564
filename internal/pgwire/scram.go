package pgwire

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/magflock/mobo/internal/kernel"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it, server side,
// without channel binding (the endpoint has no TLS). The password never
// crosses the wire; the client proves it knows the service_role key.

const (
	scramMechanism  = "SCRAM-SHA-256"
	scramIterations = 4096
	scramNonceLen   = 18
)

var errSCRAM = errors.New("SCRAM authentication failed")

// scramKeys are derived from one password with one salt.
type scramKeys struct {
	password  string
	salt      []byte
	storedKey []byte
	serverKey []byte
}

// scramCache keeps the derived keys per project, so that PBKDF2 runs once
// per key rather than once per connection. It is bounded and its entries
// expire, so a project that stopped connecting is forgotten.
type scramCache struct {
	once sync.Once
	c    *kernel.MemoryCache[*scramKeys]
}

// scramCacheMax bounds the projects whose keys are kept; scramCacheTTL is
// how long keys are kept after they were derived.
const (
	scramCacheMax = 4096
	scramCacheTTL = time.Hour
)

func (c *scramCache) cache() *kernel.MemoryCache[*scramKeys] {
	c.once.Do(func() { c.c = kernel.NewMemoryCache[*scramKeys](scramCacheMax) })
	return c.c
}

// close stops the cache's background expiry.
func (c *scramCache) close() { c.cache().Close() }

func (c *scramCache) get(ref, password string) (*scramKeys, error) {
	ctx := context.Background()
	if k, ok, _ := c.cache().Get(ctx, ref); ok && subtle.ConstantTimeCompare([]byte(k.password), []byte(password)) == 1 {
		return k, nil
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return nil, err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	k := &scramKeys{password: password, salt: salt, storedKey: stored[:], serverKey: hmacSHA256(salted, "Server Key")}
	_ = c.cache().Set(ctx, ref, k, scramCacheTTL)
	return k, nil
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// scramAuth runs the exchange after AuthenticationSASL was sent. It returns
// errSCRAM (wrapped) when the client's proof is wrong, another error when
// the exchange itself breaks.
func (sess *session) scramAuth(keys *scramKeys) error {
	be := sess.be
	if err := be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := be.Receive()
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || first.AuthMechanism != scramMechanism {
		return fmt.Errorf("%w: expected a %s initial response", errProtocol, scramMechanism)
	}
	// client-first-message: gs2-header client-first-bare, where the header
	// is "n,[a=authzid]," (no channel binding) or "y,…," (the client could
	// bind but thinks we cannot); "p=…" asks for binding, which needs TLS.
	cf := string(first.Data)
	parts := strings.SplitN(cf, ",", 3)
	if len(parts) != 3 || parts[0] != "n" && parts[0] != "y" {
		return fmt.Errorf("%w: unsupported channel binding", errProtocol)
	}
	gs2Header, bare := parts[0]+","+parts[1]+",", parts[2]
	clientNonce := ""
	for _, attr := range strings.Split(bare, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			clientNonce = v
		}
	}
	if clientNonce == "" {
		return fmt.Errorf("%w: no client nonce", errProtocol)
	}
	nb := make([]byte, scramNonceLen)
	if _, err := rand.Read(nb); err != nil {
		return err
	}
	nonce := clientNonce + base64.RawStdEncoding.EncodeToString(nb)
	serverFirst := "r=" + nonce + ",s=" + base64.StdEncoding.EncodeToString(keys.salt) + fmt.Sprintf(",i=%d", scramIterations)
	be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := be.Flush(); err != nil {
		return err
	}

	if err := be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	msg, err = be.Receive()
	if err != nil {
		return err
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fmt.Errorf("%w: expected a SASL response", errProtocol)
	}
	// client-final-message: c=<base64 gs2 header>,r=<nonce>,p=<proof>
	cfinal := string(final.Data)
	idx := strings.LastIndex(cfinal, ",p=")
	if idx < 0 {
		return fmt.Errorf("%w: no proof", errProtocol)
	}
	withoutProof, proofB64 := cfinal[:idx], cfinal[idx+3:]
	var gotNonce, binding string
	for _, attr := range strings.Split(withoutProof, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			gotNonce = v
		} else if v, ok := strings.CutPrefix(attr, "c="); ok {
			binding = v
		}
	}
	if gotNonce != nonce {
		return fmt.Errorf("%w: nonce mismatch", errSCRAM)
	}
	if binding != base64.StdEncoding.EncodeToString([]byte(gs2Header)) {
		return fmt.Errorf("%w: channel binding mismatch", errSCRAM)
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) != sha256.Size {
		return fmt.Errorf("%w: malformed proof", errSCRAM)
	}
	authMessage := bare + "," + serverFirst + "," + withoutProof
	signature := hmacSHA256(keys.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ signature[i]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], keys.storedKey) != 1 {
		return errSCRAM
	}
	serverSig := hmacSHA256(keys.serverKey, authMessage)
	be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	return nil
}

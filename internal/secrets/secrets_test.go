package secrets

import (
	"errors"
	"strings"
	"testing"
)

func mustKeyring(t *testing.T, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, newKey(t))
	sealed, err := k.Seal("projects.jwt_secret:shop", "s3cret-value")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "s3cret") || !strings.HasPrefix(sealed, "sealed:1:") || !k.Current(sealed) {
		t.Fatalf("sealed = %q", sealed)
	}
	again, _ := k.Seal("projects.jwt_secret:shop", "s3cret-value")
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if got, err := k.Open("projects.jwt_secret:shop", sealed); err != nil || got != "s3cret-value" {
		t.Errorf("Open = %q, %v", got, err)
	}
	// Moved to another row, or altered: refused.
	if _, err := k.Open("projects.jwt_secret:other", sealed); !errors.Is(err, ErrTampered) {
		t.Errorf("opened at another place: %v", err)
	}
	altered := sealed[:len(sealed)-2] + "AA"
	if _, err := k.Open("projects.jwt_secret:shop", altered); !errors.Is(err, ErrTampered) {
		t.Errorf("opened altered: %v", err)
	}
	// Never sealed: as it is.
	if got, err := k.Open("settings:admin_key", "plain"); err != nil || got != "plain" || k.Current("plain") {
		t.Errorf("legacy plain value: %q %v", got, err)
	}
	// Another installation's key.
	other := mustKeyring(t, newKey(t))
	if _, err := other.Open("projects.jwt_secret:shop", sealed); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("opened with a foreign key: %v", err)
	}
}

// TestRotation: after a new key becomes current, values sealed under the
// old one still open, Reseal moves them to the new one, and a keyring
// without the old key can then open them all.
func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newK := newKey(t), newKey(t)
	before := mustKeyring(t, oldKey)
	sealed, _ := before.Seal("settings:admin_key", "mobo_admin_x")
	after := mustKeyring(t, newK, oldKey)
	if after.Current(sealed) {
		t.Fatal("a value under the old key counts as current")
	}
	resealed, changed, err := after.Reseal("settings:admin_key", sealed)
	if err != nil || !changed || !after.Current(resealed) {
		t.Fatalf("Reseal = %q %v %v", resealed, changed, err)
	}
	if _, changed, _ := after.Reseal("settings:admin_key", resealed); changed {
		t.Error("resealing a current value changed it")
	}
	only := mustKeyring(t, newK)
	if got, err := only.Open("settings:admin_key", resealed); err != nil || got != "mobo_admin_x" {
		t.Errorf("after rotation: %q %v", got, err)
	}
	if _, err := only.Open("settings:admin_key", sealed); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("the old key's value without the old key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	for _, s := range []string{EncodeKey(k), " " + EncodeKey(k) + "\n", strings.TrimRight(EncodeKey(k), "=")} {
		got, err := ParseKey(s)
		if err != nil || string(got) != string(k) {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "short", EncodeKey(k[:16])} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if _, err := NewKeyring(k[:10]); err == nil {
		t.Error("a 10-byte key made a keyring")
	}
}

// FuzzOpen: no stored text makes Open panic, and what opens was sealed.
func FuzzOpen(f *testing.F) {
	k, _ := NewKeyring(make([]byte, KeySize))
	good, _ := k.Seal("p", "v")
	for _, s := range []string{good, "sealed:1:", "sealed:1:x:", "sealed:1:" + good[9:21] + "AAAA", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := k.Open("p", s)
		if err == nil && strings.HasPrefix(s, prefix) && got != "v" {
			t.Errorf("Open(%q) = %q", s, got)
		}
	})
}

// FuzzParseKey: no input makes ParseKey panic; what it accepts is a key.
func FuzzParseKey(f *testing.F) {
	f.Add(EncodeKey(make([]byte, KeySize)))
	f.Add("00")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseKey(s); err == nil && len(k) != KeySize {
			t.Errorf("ParseKey(%q) gave %d bytes", s, len(k))
		}
	})
}

package catalog

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

type keyA struct{}

type keyB struct{}

// TestDerive: a derived value is built once per snapshot and key, even by
// concurrent callers; a failed build is not kept; another snapshot builds
// its own.
func TestDerive(t *testing.T) {
	t.Parallel()
	s1 := NewSnapshot("p", 1, []string{"public"}, New([]string{"public"}))
	var builds atomic.Int32
	build := func() (*int, error) { builds.Add(1); v := 7; return &v, nil }
	var wg sync.WaitGroup
	got := make([]*int, 16)
	for i := range got {
		wg.Go(func() {
			v, err := Derive(s1, keyA{}, build)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want once", n)
	}
	for _, v := range got[1:] {
		if v != got[0] {
			t.Fatal("callers got different values")
		}
	}
	if s, err := Derive(s1, keyB{}, func() (string, error) { return "b", nil }); err != nil || s != "b" {
		t.Errorf("another key: %q %v", s, err)
	}

	boom := errors.New("boom")
	fails := 0
	failing := func() (int, error) {
		fails++
		if fails == 1 {
			return 0, boom
		}
		return 2, nil
	}
	if _, err := Derive(s1, "retry", failing); !errors.Is(err, boom) {
		t.Fatalf("first build: %v, want boom", err)
	}
	if v, err := Derive(s1, "retry", failing); err != nil || v != 2 {
		t.Fatalf("after a failed build: %d %v, want a new build", v, err)
	}

	s2 := NewSnapshot("p", 2, []string{"public"}, New([]string{"public"}))
	if _, err := Derive(s2, keyA{}, build); err != nil || builds.Load() != 2 {
		t.Errorf("a new snapshot did not build its own (%d builds, %v)", builds.Load(), err)
	}
}

// TestSnapshotSchemasAreCopies: a caller cannot change a snapshot's
// exposed schemas.
func TestSnapshotSchemasAreCopies(t *testing.T) {
	t.Parallel()
	in := []string{"api", "public"}
	s := NewSnapshot("p", 1, in, New(in))
	in[0] = "x"
	out := s.Schemas()
	out[1] = "y"
	if got := s.Schemas(); got[0] != "api" || got[1] != "public" {
		t.Errorf("Schemas() = %v", got)
	}
}

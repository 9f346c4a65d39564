package window

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/magflock/mobo/internal/sentinel/event"
)

const sec = int64(time.Second)

func TestTableEvictsLeastRecentWhenFull(t *testing.T) {
	t.Parallel()
	tb := NewTable[int](numShards*8, time.Hour)
	// Fill far past capacity; every shard must stay bounded.
	for i := range 10000 {
		tb.Do(Key{Scope: ScopeUser, ID: strconv.Itoa(i)}, int64(i), func(v *int) { *v++ })
	}
	if n := tb.Len(); n > numShards*8 {
		t.Fatalf("Len = %d, want at most %d", n, numShards*8)
	}
	// The most recent key survives with its value.
	if !tb.Peek(Key{Scope: ScopeUser, ID: "9999"}, 10000, func(v *int) {
		if *v != 1 {
			t.Errorf("value = %d, want 1", *v)
		}
	}) {
		t.Error("most recent key was evicted")
	}
	if tb.Peek(Key{Scope: ScopeUser, ID: "0"}, 10000, func(*int) {}) {
		t.Error("oldest key survived")
	}
}

func TestTableForgetsIdleEntries(t *testing.T) {
	t.Parallel()
	tb := NewTable[int](1000, time.Minute)
	k := Key{Scope: ScopeIP, Addr: netip.MustParseAddr("192.0.2.1")}
	tests := []struct {
		at   int64
		want int // value after increment
	}{
		{0, 1},
		{30 * sec, 2},
		{89 * sec, 3},  // idle 59s: kept
		{150 * sec, 1}, // idle 61s: forgotten
	}
	for _, tt := range tests {
		var got int
		tb.Do(k, tt.at, func(v *int) { *v++; got = *v })
		if got != tt.want {
			t.Errorf("at %ds: value %d, want %d", tt.at/sec, got, tt.want)
		}
	}
	// Lazy sweep: other keys' accesses remove expired entries.
	for i := range 100 {
		tb.Do(Key{Scope: ScopeUser, ID: strconv.Itoa(i)}, 0, func(*int) {})
	}
	for i := range 100 {
		tb.Do(Key{Scope: ScopeKey, ID: strconv.Itoa(i)}, 3600*sec, func(*int) {})
	}
	if n := tb.Len(); n > 101 {
		t.Errorf("Len = %d after the idle entries' time passed, want at most 101", n)
	}
}

func TestTableConcurrent(t *testing.T) {
	t.Parallel()
	tb := NewTable[int](1<<12, time.Minute)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				tb.Do(Key{Scope: ScopeUser, ID: strconv.Itoa(i % 50)}, int64(g*i), func(v *int) { *v++ })
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range 50 {
		tb.Peek(Key{Scope: ScopeUser, ID: strconv.Itoa(i)}, 0, func(v *int) { total += *v })
	}
	if total != 8*2000 {
		t.Errorf("total = %d, want %d", total, 8*2000)
	}
}

func TestRecent(t *testing.T) {
	t.Parallel()
	var r Recent
	for i := range 5 {
		r.Add(int64(i)*10*sec, 3)
	}
	// Kept: 20s, 30s, 40s.
	tests := []struct {
		now  int64
		w    time.Duration
		want int
	}{
		{40 * sec, time.Minute, 3},
		{40 * sec, 15 * time.Second, 2},
		{99 * sec, time.Minute, 1},
		{200 * sec, time.Minute, 0},
	}
	for _, tt := range tests {
		if got := r.Within(tt.now, tt.w); got != tt.want {
			t.Errorf("Within(%ds, %v) = %d, want %d", tt.now/sec, tt.w, got, tt.want)
		}
	}
}

func TestSum(t *testing.T) {
	t.Parallel()
	w := time.Minute
	var s Sum
	s.Add(0, w, 10)
	s.Add(30*sec, w, 20)
	if got := s.Value(59*sec, w); got != 30 {
		t.Errorf("Value in the first window = %v, want 30", got)
	}
	done, rolled := s.Add(60*sec, w, 5)
	if !rolled || done != 30 {
		t.Errorf("roll = %v, %v; want 30, true", done, rolled)
	}
	// Half-way into the second window: 5 + 30/2.
	if got := s.Value(90*sec, w); got != 20 {
		t.Errorf("Value half-way = %v, want 20", got)
	}
	if got := s.Current(90*sec, w); got != 5 {
		t.Errorf("Current = %v, want 5", got)
	}
	if got := s.Value(300*sec, w); got != 0 {
		t.Errorf("Value long after = %v, want 0", got)
	}
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	var d Distinct
	for i := range 10 {
		d.Add(Hash(strconv.Itoa(i)), int64(i)*sec, 8)
	}
	d.Add(Hash("9"), 10*sec, 8)
	got, total := d.Within(10*sec, time.Hour)
	if got != 8 || total != 9 {
		t.Errorf("Within = %d, %d; want 8 distinct (capped), 9 attempts", got, total)
	}
	if got, _ := d.Within(10*sec, 3*time.Second); got != 2 { // "8" at 8s, "9" at 10s
		t.Errorf("Within 3s = %d, want 2", got)
	}
	d.Remove(Hash("9"))
	if got, _ := d.Within(10*sec, time.Hour); got != 7 {
		t.Errorf("after Remove: %d, want 7", got)
	}
}

func TestLatch(t *testing.T) {
	t.Parallel()
	var l Latch
	var got []bool
	for _, at := range []int64{0, 10, 59, 60, 61, 200} {
		got = append(got, l.Fire(at*sec, time.Minute))
	}
	want := []bool{true, false, false, true, false, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fire (-want +got):\n%s", diff)
	}
}

func TestRobustResistsOutliers(t *testing.T) {
	t.Parallel()
	var r Robust
	for i := range 200 {
		x := math.Log1p(float64(20 + i%5))
		if i%50 == 49 {
			x = math.Log1p(1e6) // a rare huge outlier
		}
		r.Update(x, 0.05, 0.1)
	}
	if loc := math.Expm1(r.Loc()); loc < 15 || loc > 40 {
		t.Errorf("location = %.1f rows, want about 22", loc)
	}
	if z := r.Z(math.Log1p(1e5), 0.1); z < 10 {
		t.Errorf("Z(1e5 rows) = %.1f, want large", z)
	}
	if z := r.Z(math.Log1p(24), 0.1); z > 2 {
		t.Errorf("Z(24 rows) = %.1f, want small", z)
	}
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("198.51.100.7")
	tests := []struct {
		name  string
		actor event.Actor
		want  Key
	}{
		{"user", event.Actor{IP: ip, KeyID: "anon", UserID: "u1", Role: "authenticated"}, Key{Scope: ScopeUser, ID: "u1"}},
		{"service key", event.Actor{IP: ip, KeyID: "k1", Role: "service_role"}, Key{Scope: ScopeKey, ID: "k1"}},
		{"anon key", event.Actor{IP: ip, KeyID: "anon", Role: "anon"}, Key{Scope: ScopeIP, Addr: ip}},
		{"nothing", event.Actor{IP: ip}, Key{Scope: ScopeIP, Addr: ip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Principal(&tt.actor); got != tt.want {
				t.Errorf("Principal = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got, want := NetKey(netip.MustParseAddr("203.0.113.77")), (Key{Scope: ScopeNet, Addr: netip.MustParseAddr("203.0.113.0")}); got != want {
		t.Errorf("NetKey v4 = %+v, want %+v", got, want)
	}
	if got, want := NetKey(netip.MustParseAddr("2001:db8:1:2:3::4")), (Key{Scope: ScopeNet, Addr: netip.MustParseAddr("2001:db8:1:2::")}); got != want {
		t.Errorf("NetKey v6 = %+v, want %+v", got, want)
	}
}

func BenchmarkTableDo(b *testing.B) {
	tb := NewTable[Recent](1<<16, time.Hour)
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = Key{Scope: ScopeUser, ID: "user-" + strconv.Itoa(i), Sub: "rest:public.todos"}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		tb.Do(keys[i&1023], int64(i), func(v *Recent) { v.Add(int64(i), 10) })
	}
}

func BenchmarkTableDoParallel(b *testing.B) {
	tb := NewTable[Recent](1<<16, time.Hour)
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = Key{Scope: ScopeUser, ID: "user-" + strconv.Itoa(i)}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			tb.Do(keys[i&1023], int64(i), func(v *Recent) { v.Add(int64(i), 10) })
		}
	})
}

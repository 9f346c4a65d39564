package realtime

import (
	"testing"
)

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	row := []Value{{Name: "id", Text: "10"}, {Name: "title", Text: "b"}, {Name: "done", Text: "t"}, {Name: "owner", Null: true}}
	cases := []struct {
		filter string
		want   bool
	}{
		{"id=eq.10", true},
		{"id=eq.10.0", true},
		{"id=neq.10", false},
		{"id=lt.9", false},
		{"id=lt.11", true},
		{"id=lte.10", true},
		{"id=gt.9", true},
		{"id=gte.11", false},
		{"title=in.(a,b)", true},
		{`title=in.("a,b",c)`, false},
		{"done=eq.true", true},
		{"owner=eq.x", false},
		{"missing=eq.1", false},
		{"title=gt.a", true},
		{"id=not.eq.10", false},
		{"id=not.in.(1,2)", true},
		{"title=like.b", true},
		{"title=like.B", false},
		{"title=ilike.B", true},
		{"title=like.%", true},
		{"title=like._", true},
		{"title=like.__", false},
		{"title=not.like.a%", true},
		{"title=match.^[a-c]$", true},
		{"title=imatch.^B$", true},
		{"owner=is.null", true},
		{"owner=not.is.null", false},
		{"title=is.null", false},
		{"done=is.true", true},
		{"done=is.false", false},
		{"owner=isdistinct.x", true},
		{"id=isdistinct.10", false},
		{"id=not.isdistinct.10", true},
		{"owner=neq.x", false}, // null: unknown, not passed
		{"owner=not.eq.x", false},
		{"id=gt.5,title=eq.b", true},
		{"id=gt.5,title=eq.c", false},
		{" id=gt.5 , done=eq.true ", true},
		{`title=in.("a,b",b),id=eq.10`, true},
		{`title=eq."b"`, true},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := parseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.match(row); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"id", "id=eq", "id=foo.x", "=eq.1", "id=in.1,2", "id=eq.1,,done=eq.true", "id=eq.1,", "owner=is.maybe", "title=match.(", "id=not.foo.1"} {
		if _, err := parseFilter(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`["1","2","realtime:x","phx_join",{"config":{}}]`))
	f.Add([]byte(`{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}`))
	f.Add([]byte{3, 1, 1, 3, 1, 0, 1, '1', '2', 'a', 'b', 'c', 'e', '{', '}'})
	f.Add([]byte(`["id","title"]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v2 := range []bool{true, false} {
			if m, err := decodeText(b, v2); err == nil && m == nil {
				t.Fatal("nil message without an error")
			}
		}
		if m, err := decodeBinary(b); err == nil {
			if m.bin == nil {
				t.Fatal("binary message without its push")
			}
			// What decodes re-encodes as a server broadcast when it fits.
			if f, ok := encodeUserBroadcast(m.Topic, m.bin.Event, m.bin.Meta, m.bin.Encoding, m.bin.Payload); ok && f.data[0] != kindUserBroadcast {
				t.Fatal("bad kind")
			}
		}
		if f, err := parseFilter(string(b)); err == nil {
			f.match([]Value{{Name: "id", Text: "1"}, {Name: "title", Text: string(b)}, {Name: "owner", Null: true}})
		}
		if sel, err := parseSelect(b); err == nil && sel != nil {
			for _, name := range sel.list {
				if !sel.keeps(Column{Name: name}) {
					t.Fatalf("selection of %q does not keep it", name)
				}
			}
		}
	})
}

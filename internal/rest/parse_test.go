package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestParseRequest(t *testing.T) {
	t.Parallel()
	jsonAny := []MediaType{{Kind: MediaAny}}
	jsonCT := MediaType{Kind: MediaJSON}
	base := func(method string, target Target) Request {
		return Request{
			Method: method, Target: target, RangeUnit: "items",
			Query: Query{Select: []SelectItem{star()}, Range: AllRows},
			Range: AllRows, Accept: jsonAny, ContentType: jsonCT,
		}
	}
	todos := Target{Kind: TargetRelation, Name: "todos"}
	fn := Target{Kind: TargetRoutine, Name: "add"}
	tests := []struct {
		name   string
		method string
		path   string
		query  string
		header http.Header
		want   func(r *Request)
		target Target
	}{
		{"get relation", "GET", "/todos", "", nil, func(*Request) {}, todos},
		{"trailing slash", "GET", "/todos/", "", nil, func(*Request) {}, todos},
		{"encoded name", "GET", "/my%20table", "", nil, func(*Request) {}, Target{Kind: TargetRelation, Name: "my table"}},
		{"schema root", "GET", "/", "", nil, func(*Request) {}, Target{Kind: TargetSchema}},
		{"schema root empty", "HEAD", "", "", nil, func(*Request) {}, Target{Kind: TargetSchema}},
		{"relation named rpc", "GET", "/rpc", "", nil, func(*Request) {}, Target{Kind: TargetRelation, Name: "rpc"}},
		{"rpc get args", "GET", "/rpc/add", "a=1&b=2", nil, func(r *Request) {
			r.Query.Args = []Arg{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}
		}, fn},
		{"rpc head args", "HEAD", "/rpc/add", "a=1", nil, func(r *Request) {
			r.Query.Args = []Arg{{Name: "a", Value: "1"}}
		}, fn},
		{"rpc post filters", "POST", "/rpc/add", "id=eq.1", nil, func(r *Request) {
			r.Query.Filters = []Filter{filter(nil, fld("id"), op(OpEq, "1"))}
		}, fn},
		{"range header", "GET", "/todos", "", hdr("Range", "0-9"), func(r *Request) { r.Range = Range{Limit: 10} }, todos},
		{"range header open", "GET", "/todos", "", hdr("Range", "10-"), func(r *Request) { r.Range = Range{Offset: 10, Limit: NoLimit} }, todos},
		{"range header items unit", "GET", "/todos", "", hdr("Range", "items=5-6", "Range-Unit", "items"), func(r *Request) {
			r.Range = Range{Offset: 5, Limit: 2}
		}, todos},
		{"range-unit kept", "GET", "/todos", "", hdr("Range-Unit", "rows"), func(r *Request) { r.RangeUnit = "rows" }, todos},
		{"malformed range ignored", "GET", "/todos", "", hdr("Range", "abc"), func(*Request) {}, todos},
		{"range header ignored on HEAD", "HEAD", "/todos", "", hdr("Range", "0-9"), func(*Request) {}, todos},
		{"range header ignored on PATCH", "PATCH", "/todos", "", hdr("Range", "5-1"), func(*Request) {}, todos},
		{"range and limit intersect", "GET", "/todos", "limit=5&offset=2", hdr("Range", "0-4"), func(r *Request) {
			r.Query.Range = Range{Offset: 2, Limit: 5}
			r.Range = Range{Offset: 2, Limit: 3}
		}, todos},
		{"range wider than limit", "GET", "/todos", "limit=3", hdr("Range", "0-99"), func(r *Request) {
			r.Query.Range = Range{Limit: 3}
			r.Range = Range{Limit: 3}
		}, todos},
		{"limit zero wins", "GET", "/todos", "limit=0&offset=3", hdr("Range", "0-9"), func(r *Request) {
			r.Query.Range = Range{Offset: 3, Limit: 0}
			r.Range = Range{Offset: 3, Limit: 0}
		}, todos},
		{"put without range", "PUT", "/todos", "id=eq.1&offset=0", nil, func(r *Request) {
			r.Query.Filters = []Filter{filter(nil, fld("id"), op(OpEq, "1"))}
		}, todos},
		{"accept profile", "GET", "/todos", "", hdr("Accept-Profile", "v2", "Content-Profile", "ignored"), func(r *Request) { r.Profile = "v2" }, todos},
		{"content profile", "POST", "/todos", "", hdr("Accept-Profile", "ignored", "Content-Profile", "v2"), func(r *Request) { r.Profile = "v2" }, todos},
		{"prefer", "POST", "/todos", "columns=a,b&on_conflict=id", hdr(
			"Prefer", "return=representation, resolution=merge-duplicates",
			"Prefer", "missing=default,count=exact",
		), func(r *Request) {
			r.Query.Columns = []string{"a", "b"}
			r.Query.OnConflict = []string{"id"}
			r.Prefer = Preferences{Return: ReturnRepresentation, Resolution: MergeDuplicates, Missing: MissingDefault, Count: CountExact}
		}, todos},
		{"lenient prefer", "GET", "/todos", "", hdr("Prefer", "foo, count=planned"), func(r *Request) {
			r.Prefer = Preferences{Count: CountPlanned, Invalid: []string{"foo"}}
		}, todos},
		{"accept and content type", "POST", "/todos", "", hdr(
			"Accept", "text/csv",
			"Content-Type", "text/csv; charset=utf-8",
		), func(r *Request) {
			r.Accept = []MediaType{{Kind: MediaCSV}}
			r.ContentType = MediaType{Kind: MediaCSV}
		}, todos},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			header := tt.header
			if header == nil {
				header = http.Header{}
			}
			got, err := ParseRequest(tt.method, tt.path, tt.query, header)
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			want := base(got.Method, tt.target)
			tt.want(&want)
			if diff := cmp.Diff(&want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseRequest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		query  string
		header http.Header
		want   wantErr
	}{
		{"nested path", "GET", "/a/b", "", nil, wantErr{404, CodeInvalidPath, "Invalid path specified in request URL", ""}},
		{"deep rpc path", "GET", "/rpc/a/b", "", nil, wantErr{404, CodeInvalidPath, "", ""}},
		{"empty segment", "GET", "/a//b", "", nil, wantErr{404, CodeInvalidPath, "", ""}},
		{"bad escape", "GET", "/a%zz", "", nil, wantErr{404, CodeInvalidPath, "", ""}},
		{"unsupported method", "TRACE", "/todos", "", nil, wantErr{405, CodeUnsupportedMethod, "Unsupported HTTP method: TRACE", ""}},
		{"lower-case method", "get", "/todos", "", nil, wantErr{405, CodeUnsupportedMethod, "Unsupported HTTP method: get", ""}},
		{"post on root", "POST", "/", "", nil, wantErr{405, CodeUnsupportedMethod, "Unsupported HTTP method: POST", ""}},
		{"patch on rpc", "PATCH", "/rpc/fn", "", nil, wantErr{405, CodeInvalidRPCMethod, "Cannot use the PATCH method on RPC", ""}},
		{"delete on rpc", "DELETE", "/rpc/fn", "", nil, wantErr{405, CodeInvalidRPCMethod, "Cannot use the DELETE method on RPC", ""}},
		{"path before method", "TRACE", "/a/b", "", nil, wantErr{404, CodeInvalidPath, "", ""}},
		{"query error", "GET", "/todos", "select=(", nil, wantErr{400, CodeQueryParam, "", ""}},
		{"range lower > upper", "GET", "/todos", "", hdr("Range", "9-1"), wantErr{
			416, CodeInvalidRange, "Requested range not satisfiable",
			"The lower boundary must be lower than or equal to the upper boundary in the Range header.",
		}},
		{"range outside limit", "GET", "/todos", "offset=20&limit=5", hdr("Range", "0-9"), wantErr{
			416, CodeInvalidRange, "Requested range not satisfiable",
			"Limit should be greater than or equal to zero.",
		}},
		{"negative limit", "GET", "/todos", "limit=-5", nil, wantErr{416, CodeInvalidRange, "", "Limit should be greater than or equal to zero."}},
		{"put with limit", "PUT", "/todos", "limit=1", nil, wantErr{
			400, CodePutRange,
			"Range header and limit/offset querystring parameters are not allowed for PUT", "",
		}},
		{"put with offset", "PUT", "/todos", "offset=1", nil, wantErr{400, CodePutRange, "", ""}},
		{"strict prefer", "GET", "/todos", "", hdr("Prefer", "handling=strict, foo, bar"), wantErr{
			400, CodeInvalidPreferences,
			"Invalid preferences given with handling=strict", "Invalid preferences: foo, bar",
		}},
		{"query error before prefer", "GET", "/todos", "id=x", hdr("Prefer", "handling=strict, foo"), wantErr{400, CodeQueryParam, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			header := tt.header
			if header == nil {
				header = http.Header{}
			}
			got, err := ParseRequest(tt.method, tt.path, tt.query, header)
			if err == nil {
				t.Fatalf("ParseRequest = %+v, want an error", got)
			}
			checkErr(t, err, tt.want)
		})
	}
}

func TestParsePrefer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  []string
		want    Preferences
		wantErr bool
	}{
		{"none", nil, Preferences{}, false},
		{"return", []string{"return=minimal"}, Preferences{Return: ReturnMinimal}, false},
		{"return headers-only", []string{"return=headers-only"}, Preferences{Return: ReturnHeadersOnly}, false},
		{
			"all in one",
			[]string{"resolution=ignore-duplicates, count=exact, timezone=America/Los_Angeles, max-affected=100"},
			Preferences{Resolution: IgnoreDuplicates, Count: CountExact, Timezone: "America/Los_Angeles", MaxAffected: 100, HasMaxAffected: true},
			false,
		},
		{
			"several headers",
			[]string{"resolution=ignore-duplicates", "count=exact", "missing=null", "handling=lenient", "invalid", "max-affected=5999"},
			Preferences{
				Resolution: IgnoreDuplicates, Count: CountExact, Missing: MissingNull, Handling: HandlingLenient,
				MaxAffected: 5999, HasMaxAffected: true, Invalid: []string{"invalid"},
			},
			false,
		},
		{"first wins", []string{"tx=commit, tx=rollback"}, Preferences{Tx: TxCommit}, false},
		{
			"first wins across headers",
			[]string{"resolution=ignore-duplicates", "resolution=merge-duplicates"},
			Preferences{Resolution: IgnoreDuplicates},
			false,
		},
		{
			"spacing",
			[]string{"count=exact,    tx=commit   ,return=representation , missing=default, handling=strict, params=single-object"},
			Preferences{
				Count: CountExact, Tx: TxCommit, Return: ReturnRepresentation, Missing: MissingDefault,
				Handling: HandlingStrict, Params: ParamsSingleObject,
			},
			false,
		},
		{"estimated and planned", []string{"count=estimated"}, Preferences{Count: CountEstimated}, false},
		{"empty tokens skipped", []string{"return=minimal,, ,"}, Preferences{Return: ReturnMinimal}, false},
		{"case sensitive", []string{"Return=Minimal"}, Preferences{Invalid: []string{"Return=Minimal"}}, false},
		{"bad max-affected", []string{"max-affected=lots"}, Preferences{Invalid: []string{"max-affected=lots"}}, false},
		{"empty timezone", []string{"timezone="}, Preferences{Invalid: []string{"timezone="}}, false},
		{
			"strict with invalid",
			[]string{"handling=strict, foo, bar"},
			Preferences{Handling: HandlingStrict, Invalid: []string{"foo", "bar"}},
			true,
		},
		{
			"strict later header",
			[]string{"foo", "handling=strict"},
			Preferences{Handling: HandlingStrict, Invalid: []string{"foo"}},
			true,
		},
		{
			"lenient wins over strict",
			[]string{"handling=lenient, handling=strict, foo"},
			Preferences{Handling: HandlingLenient, Invalid: []string{"foo"}},
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePrefer(tt.values)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePrefer(%q) error = %v, want error %v", tt.values, err, tt.wantErr)
			}
			if err != nil {
				checkErr(t, err, wantErr{status: 400, code: CodeInvalidPreferences})
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParsePrefer(%q) (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

func TestPreferencesString(t *testing.T) {
	t.Parallel()
	p := Preferences{
		Return: ReturnRepresentation, Count: CountExact, Resolution: MergeDuplicates, Missing: MissingDefault,
		Handling: HandlingStrict, Tx: TxRollback, Timezone: "UTC", MaxAffected: 3, HasMaxAffected: true,
	}
	want := "resolution=merge-duplicates, missing=default, return=representation, count=exact, tx=rollback, handling=strict, timezone=UTC, max-affected=3"
	if got := p.String(); got != want {
		t.Errorf("String() = %q\nwant %q", got, want)
	}
	// Parsing the rendering gives the preferences back.
	again, err := ParsePrefer([]string{p.String()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, again, cmpOpts...); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseMediaType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want MediaType
		str  string
	}{
		{"application/json", MediaType{Kind: MediaJSON}, "application/json"},
		{"Application/JSON; charset=utf-8", MediaType{Kind: MediaJSON}, "application/json"},
		{"*/*", MediaType{Kind: MediaAny}, "*/*"},
		{"", MediaType{Kind: MediaAny}, "*/*"},
		{"text/csv", MediaType{Kind: MediaCSV}, "text/csv"},
		{"application/geo+json", MediaType{Kind: MediaGeoJSON}, "application/geo+json"},
		{"application/openapi+json", MediaType{Kind: MediaOpenAPI}, "application/openapi+json"},
		{"text/plain", MediaType{Kind: MediaTextPlain}, "text/plain"},
		{"text/xml", MediaType{Kind: MediaTextXML}, "text/xml"},
		{"application/octet-stream", MediaType{Kind: MediaOctetStream}, "application/octet-stream"},
		{"application/x-www-form-urlencoded", MediaType{Kind: MediaURLEncoded}, "application/x-www-form-urlencoded"},
		{"application/vnd.pgrst.object+json", MediaType{Kind: MediaObjectJSON}, "application/vnd.pgrst.object+json"},
		{"application/vnd.pgrst.object", MediaType{Kind: MediaObjectJSON}, "application/vnd.pgrst.object+json"},
		{
			"application/vnd.pgrst.object+json;nulls=stripped",
			MediaType{Kind: MediaObjectJSON, NullsStripped: true},
			"application/vnd.pgrst.object+json;nulls=stripped",
		},
		{
			"application/vnd.pgrst.array+json;nulls=stripped",
			MediaType{Kind: MediaArrayJSON, NullsStripped: true},
			"application/vnd.pgrst.array+json;nulls=stripped",
		},
		{
			"application/vnd.pgrst.array+json; nulls=stripped",
			MediaType{Kind: MediaArrayJSON, NullsStripped: true},
			"application/vnd.pgrst.array+json;nulls=stripped",
		},
		{"application/vnd.pgrst.array+json", MediaType{Kind: MediaJSON}, "application/json"},
		{
			"application/vnd.pgrst.plan",
			MediaType{Kind: MediaPlan, PlanFor: MediaJSON},
			`application/vnd.pgrst.plan+text`,
		},
		{
			`application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|verbose|buffers|wal|settings`,
			MediaType{
				Kind: MediaPlan, PlanFormat: PlanJSON, PlanFor: MediaCSV, PlanForGiven: true,
				PlanOptions: PlanAnalyze | PlanVerbose | PlanBuffers | PlanWAL | PlanSettings,
			},
			`application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|verbose|settings|buffers|wal`,
		},
		{
			`application/vnd.pgrst.plan+text;for="application/vnd.pgrst.object+json;nulls=stripped";options=analyze`,
			MediaType{Kind: MediaPlan, PlanFor: MediaObjectJSON, NullsStripped: true, PlanOptions: PlanAnalyze, PlanForGiven: true},
			`application/vnd.pgrst.plan+text; for="application/vnd.pgrst.object+json;nulls=stripped"; options=analyze`,
		},
		{
			`application/vnd.pgrst.plan;for="image/png"`,
			MediaType{Kind: MediaPlan, PlanFor: MediaOther, Raw: "image/png", PlanForGiven: true},
			`application/vnd.pgrst.plan+text; for="image/png"`,
		},
		{"image/PNG", MediaType{Kind: MediaOther, Raw: "image/png"}, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := ParseMediaType(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMediaType(%q) (-want +got):\n%s", tt.in, diff)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if again := ParseMediaType(got.String()); again != got {
				t.Errorf("ParseMediaType(String()) = %+v, want %+v", again, got)
			}
		})
	}
}

func TestParseAccept(t *testing.T) {
	t.Parallel()
	m := func(k MediaKind) MediaType { return MediaType{Kind: k} }
	tests := []struct {
		name   string
		values []string
		want   []MediaType
	}{
		{"absent", nil, []MediaType{m(MediaAny)}},
		{"empty", []string{""}, []MediaType{m(MediaAny)}},
		{"one", []string{"text/csv"}, []MediaType{m(MediaCSV)}},
		{"header order on ties", []string{"text/csv, application/json"}, []MediaType{m(MediaCSV), m(MediaJSON)}},
		{"q order", []string{"text/csv;q=0.5, application/json;q=0.9"}, []MediaType{m(MediaJSON), m(MediaCSV)}},
		{"specific before star", []string{"*/*, text/csv"}, []MediaType{m(MediaCSV), m(MediaAny)}},
		{
			"params before none",
			[]string{"application/vnd.pgrst.object+json, application/vnd.pgrst.array+json;nulls=stripped"},
			[]MediaType{{Kind: MediaArrayJSON, NullsStripped: true}, m(MediaObjectJSON)},
		},
		{"q zero dropped", []string{"text/csv;q=0, application/json"}, []MediaType{m(MediaJSON)}},
		{"bad q is 1", []string{"text/csv;q=abc, application/json;q=0.5"}, []MediaType{m(MediaCSV), m(MediaJSON)}},
		{"several headers", []string{"text/csv;q=0.1", "application/geo+json"}, []MediaType{m(MediaGeoJSON), m(MediaCSV)}},
		{"browser", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, []MediaType{
			{Kind: MediaOther, Raw: "text/html"},
			{Kind: MediaOther, Raw: "application/xhtml+xml"},
			{Kind: MediaOther, Raw: "application/xml"},
			m(MediaAny),
		}},
		{"all q zero", []string{"text/csv;q=0"}, []MediaType{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ParseAccept(tt.values)
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseAccept(%q) (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	m := func(k MediaKind) MediaType { return MediaType{Kind: k} }
	read := []MediaType{m(MediaJSON), m(MediaCSV), m(MediaObjectJSON), m(MediaArrayJSON), m(MediaGeoJSON), m(MediaPlan)}
	tests := []struct {
		name   string
		accept string
		offers []MediaType
		want   MediaType
		errMsg string
	}{
		{"any is the default", "*/*", read, m(MediaJSON), ""},
		{"csv", "text/csv", read, m(MediaCSV), ""},
		{"first acceptable", "image/png, text/csv, application/json", read, m(MediaCSV), ""},
		{
			"object stripped kept", "application/vnd.pgrst.object+json;nulls=stripped", read,
			MediaType{Kind: MediaObjectJSON, NullsStripped: true},
			"",
		},
		{
			"plan", `application/vnd.pgrst.plan+json; for="text/csv"`, read,
			MediaType{Kind: MediaPlan, PlanFormat: PlanJSON, PlanFor: MediaCSV, PlanForGiven: true},
			"",
		},
		{"plan for any", `application/vnd.pgrst.plan; for="*/*"`, read, MediaType{Kind: MediaPlan, PlanFor: MediaJSON, PlanForGiven: true}, ""},
		{
			"plan disabled", `application/vnd.pgrst.plan`,
			[]MediaType{m(MediaJSON)},
			MediaType{},
			`None of these media types are available: application/vnd.pgrst.plan+text`,
		},
		{"plan for unavailable", `application/vnd.pgrst.plan;for="image/png"`, read, MediaType{}, ""},
		{"none", "image/png, text/html", read, MediaType{}, "None of these media types are available: image/png, text/html"},
		{
			"custom handler", "image/png",
			[]MediaType{m(MediaJSON), {Kind: MediaOther, Raw: "image/png"}},
			MediaType{Kind: MediaOther, Raw: "image/png"},
			"",
		},
		{"openapi", "application/openapi+json", []MediaType{m(MediaOpenAPI), m(MediaJSON)}, m(MediaOpenAPI), ""},
		{"browser gets json", "text/html,application/xml;q=0.9,*/*;q=0.8", read, m(MediaJSON), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Negotiate(ParseAccept([]string{tt.accept}), tt.offers)
			if tt.want == (MediaType{}) {
				if err == nil {
					t.Fatalf("Negotiate = %v, want an error", got)
				}
				checkErr(t, err, wantErr{status: 406, code: CodeNotAcceptable, message: tt.errMsg})
				return
			}
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Negotiate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorJSON(t *testing.T) {
	t.Parallel()
	_, err := ParseSelect("data->>--34")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	want := `{"code":"PGRST100","details":"unexpected \"-\" expecting digit","hint":null,"message":"\"failed to parse select parameter (data->>--34)\" (line 1, column 9)"}` + "\n"
	if buf.String() != want {
		t.Errorf("JSON = %s\nwant   %s", buf.String(), want)
	}

	withHint := &Error{Status: 400, Code: "PGRST108", Message: "m", Hint: "h"}
	b, err := json.Marshal(withHint)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"code":"PGRST108","details":null,"hint":"h","message":"m"}`; string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}

	cause := errors.New("cause")
	wrapped := fmt.Errorf("handling request: %w", &Error{Status: 400, Code: CodeQueryParam, Message: "m", Err: cause})
	if !errors.Is(wrapped, cause) {
		t.Error("errors.Is does not reach the cause through Unwrap")
	}
	var h interface{ HTTPStatus() int }
	if !errors.As(wrapped, &h) || h.HTTPStatus() != 400 {
		t.Error("errors.As does not find HTTPStatus")
	}
	if got := e.Error(); got != `PGRST100: "failed to parse select parameter (data->>--34)" (line 1, column 9): unexpected "-" expecting digit` {
		t.Errorf("Error() = %q", got)
	}
}

func TestOperatorString(t *testing.T) {
	t.Parallel()
	for name, o := range operators {
		if o.String() != name {
			t.Errorf("%v.String() = %q, want %q", uint8(o), o.String(), name)
		}
	}
	if got := Operator(0).String(); got != "Operator(0)" {
		t.Errorf("Operator(0).String() = %q", got)
	}
}

package rest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// MediaKind is a media type PostgREST knows.
type MediaKind uint8

const (
	// MediaOther is any other media type; MediaType.Raw holds it.
	MediaOther MediaKind = iota
	// MediaAny is */*.
	MediaAny
	// MediaJSON is application/json, and also
	// application/vnd.pgrst.array+json without nulls=stripped.
	MediaJSON
	// MediaArrayJSON is application/vnd.pgrst.array+json;nulls=stripped.
	MediaArrayJSON
	// MediaObjectJSON is application/vnd.pgrst.object+json (one row).
	MediaObjectJSON
	// MediaCSV is text/csv.
	MediaCSV
	// MediaGeoJSON is application/geo+json.
	MediaGeoJSON
	// MediaOpenAPI is application/openapi+json.
	MediaOpenAPI
	// MediaPlan is application/vnd.pgrst.plan[+text|+json]: the EXPLAIN
	// output of the statement that would produce PlanFor.
	MediaPlan
	// MediaTextPlain is text/plain.
	MediaTextPlain
	// MediaTextXML is text/xml.
	MediaTextXML
	// MediaOctetStream is application/octet-stream.
	MediaOctetStream
	// MediaURLEncoded is application/x-www-form-urlencoded.
	MediaURLEncoded
)

// PlanFormat is the output format of an execution plan.
type PlanFormat uint8

const (
	PlanText PlanFormat = iota // +text, the default
	PlanJSON                   // +json
)

// PlanOptions are the EXPLAIN options of a plan media type, a bit set.
type PlanOptions uint8

const (
	PlanAnalyze PlanOptions = 1 << iota
	PlanVerbose
	PlanSettings
	PlanBuffers
	PlanWAL
)

var planOptionNames = []struct {
	opt  PlanOptions
	name string
}{
	{PlanAnalyze, "analyze"},
	{PlanVerbose, "verbose"},
	{PlanSettings, "settings"},
	{PlanBuffers, "buffers"},
	{PlanWAL, "wal"},
}

// MediaType is a parsed media type.
type MediaType struct {
	Kind MediaKind
	// NullsStripped is nulls=stripped: of MediaArrayJSON (always true),
	// MediaObjectJSON, or, for MediaPlan, of the planned media type.
	NullsStripped bool
	// Raw is the lower-cased type/subtype of MediaOther, or, for MediaPlan,
	// of a PlanFor that is MediaOther.
	Raw string
	// PlanFormat, PlanFor and PlanOptions describe a MediaPlan: its output
	// format, the media type planned for ("for", application/json by
	// default) and the EXPLAIN options; PlanForGiven says whether "for"
	// was given (PostgREST names it in the response's type only then).
	PlanFormat   PlanFormat
	PlanFor      MediaKind
	PlanOptions  PlanOptions
	PlanForGiven bool
}

var mediaNames = map[string]MediaKind{
	"*/*":                               MediaAny,
	"application/json":                  MediaJSON,
	"application/vnd.pgrst.array+json":  MediaArrayJSON,
	"application/vnd.pgrst.array":       MediaArrayJSON,
	"application/vnd.pgrst.object+json": MediaObjectJSON,
	"application/vnd.pgrst.object":      MediaObjectJSON,
	"text/csv":                          MediaCSV,
	"application/geo+json":              MediaGeoJSON,
	"application/openapi+json":          MediaOpenAPI,
	"application/vnd.pgrst.plan":        MediaPlan,
	"application/vnd.pgrst.plan+text":   MediaPlan,
	"application/vnd.pgrst.plan+json":   MediaPlan,
	"text/plain":                        MediaTextPlain,
	"text/xml":                          MediaTextXML,
	"application/octet-stream":          MediaOctetStream,
	"application/x-www-form-urlencoded": MediaURLEncoded,
}

var mediaMimes = map[MediaKind]string{
	MediaAny:         "*/*",
	MediaJSON:        "application/json",
	MediaArrayJSON:   "application/vnd.pgrst.array+json",
	MediaObjectJSON:  "application/vnd.pgrst.object+json",
	MediaCSV:         "text/csv",
	MediaGeoJSON:     "application/geo+json",
	MediaOpenAPI:     "application/openapi+json",
	MediaPlan:        "application/vnd.pgrst.plan",
	MediaTextPlain:   "text/plain",
	MediaTextXML:     "text/xml",
	MediaOctetStream: "application/octet-stream",
	MediaURLEncoded:  "application/x-www-form-urlencoded",
}

// ParseMediaType parses one media type with its parameters, as in a
// Content-Type header or one element of Accept. Type and subtype are
// case-insensitive; parameters are matched as PostgREST matches them.
func ParseMediaType(s string) MediaType {
	typ, params, _ := strings.Cut(s, ";")
	typ = strings.ToLower(strings.TrimSpace(typ))
	kind, ok := mediaNames[typ]
	if typ == "" {
		kind, ok = MediaAny, true
	}
	if !ok {
		return MediaType{Kind: MediaOther, Raw: typ}
	}
	m := MediaType{Kind: kind}
	switch kind {
	case MediaArrayJSON, MediaObjectJSON:
		m.NullsStripped = hasParam(params, "nulls", "stripped")
		if kind == MediaArrayJSON && !m.NullsStripped {
			m.Kind = MediaJSON
		}
	case MediaPlan:
		if strings.HasSuffix(typ, "+json") {
			m.PlanFormat = PlanJSON
		}
		m.PlanFor = MediaJSON
		for _, p := range splitParams(params) {
			name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "for":
				f := ParseMediaType(strings.Trim(strings.TrimSpace(value), `"`))
				if f.Kind == MediaPlan {
					// A plan of a plan is not a thing; plan the default.
					f = MediaType{Kind: MediaJSON}
				}
				m.PlanFor, m.NullsStripped, m.Raw, m.PlanForGiven = f.Kind, f.NullsStripped, f.Raw, true
			case "options":
				for o := range strings.SplitSeq(strings.Trim(strings.TrimSpace(value), `"`), "|") {
					for _, po := range planOptionNames {
						if po.name == o {
							m.PlanOptions |= po.opt
						}
					}
				}
			}
		}
	}
	return m
}

// splitParams splits media type parameters at the semicolons that are not
// inside a double-quoted value: for="a;b" is one parameter.
func splitParams(params string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(params); i++ {
		switch params[i] {
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				out = append(out, params[start:i])
				start = i + 1
			}
		}
	}
	return append(out, params[start:])
}

func hasParam(params, name, value string) bool {
	for _, p := range splitParams(params) {
		n, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(n), name) && strings.TrimSpace(v) == value {
			return true
		}
	}
	return false
}

// String renders the media type as a Content-Type value, without charset.
func (m MediaType) String() string {
	switch m.Kind {
	case MediaOther:
		return m.Raw
	case MediaArrayJSON:
		return mediaMimes[m.Kind] + ";nulls=stripped"
	case MediaObjectJSON:
		if m.NullsStripped {
			return mediaMimes[m.Kind] + ";nulls=stripped"
		}
		return mediaMimes[m.Kind]
	case MediaPlan:
		var b strings.Builder
		b.WriteString("application/vnd.pgrst.plan+")
		if m.PlanFormat == PlanJSON {
			b.WriteString("json")
		} else {
			b.WriteString("text")
		}
		if m.PlanForGiven {
			b.WriteString(`; for="`)
			b.WriteString(m.PlanTarget().String())
			b.WriteByte('"')
		}
		if m.PlanOptions != 0 {
			b.WriteString("; options=")
			sep := ""
			for _, po := range planOptionNames {
				if m.PlanOptions&po.opt != 0 {
					b.WriteString(sep)
					b.WriteString(po.name)
					sep = "|"
				}
			}
		}
		return b.String()
	}
	if s, ok := mediaMimes[m.Kind]; ok {
		return s
	}
	return "MediaKind(" + strconv.Itoa(int(m.Kind)) + ")"
}

// PlanTarget is the media type a MediaPlan plans for.
func (m MediaType) PlanTarget() MediaType {
	t := MediaType{Kind: m.PlanFor, NullsStripped: m.NullsStripped, Raw: m.Raw}
	if t.Kind == MediaArrayJSON {
		t.NullsStripped = true
	}
	return t
}

// ParseAccept parses the values of the Accept request headers into media
// types, most preferred first: by quality (q), then, among equals, the more
// specific (more parameters, fewer '*'), then in header order, as PostgREST
// (WAI's parseHttpAccept) orders them. Media ranges with q=0 are dropped. No
// header, or an empty one, is [*/*].
func ParseAccept(values []string) []MediaType {
	type ranked struct {
		m      MediaType
		q      float64
		params int
		stars  int
	}
	var list []ranked
	empty := true
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			empty = false
			typ, params, _ := strings.Cut(elem, ";")
			q := 1.0
			var kept []string
			for _, p := range splitParams(params) {
				if strings.TrimSpace(p) == "" {
					continue
				}
				n, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(n), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
					continue
				}
				kept = append(kept, p)
			}
			if q == 0 {
				continue
			}
			full := typ
			if len(kept) > 0 {
				full += ";" + strings.Join(kept, ";")
			}
			list = append(list, ranked{
				m:      ParseMediaType(full),
				q:      q,
				params: len(kept),
				stars:  strings.Count(typ, "*"),
			})
		}
	}
	if empty {
		return []MediaType{{Kind: MediaAny}}
	}
	slices.SortStableFunc(list, func(a, b ranked) int {
		if c := cmp.Compare(b.q, a.q); c != 0 {
			return c
		}
		if c := cmp.Compare(b.params, a.params); c != 0 {
			return c
		}
		return cmp.Compare(a.stars, b.stars)
	})
	out := make([]MediaType, len(list))
	for i, r := range list {
		out[i] = r.m
	}
	return out
}

// Negotiate picks the response media type: the first accepted media type
// the resource offers, as PostgREST does. */* takes the first offer, so the
// handler lists its default first. A plan is offered when MediaPlan is among
// the offers and the media type it plans for is offered too. It fails with
// PGRST107 (406) when nothing matches.
func Negotiate(accept []MediaType, offers []MediaType) (MediaType, error) {
	for _, a := range accept {
		if a.Kind == MediaAny {
			if len(offers) > 0 {
				return offers[0], nil
			}
			continue
		}
		if !offered(a, offers) {
			continue
		}
		if a.Kind != MediaPlan {
			return a, nil
		}
		target := a.PlanTarget()
		if target.Kind == MediaAny {
			for _, o := range offers {
				if o.Kind != MediaPlan {
					a.PlanFor, a.NullsStripped, a.Raw = o.Kind, o.NullsStripped, o.Raw
					return a, nil
				}
			}
			continue
		}
		if offered(target, offers) {
			return a, nil
		}
	}
	return MediaType{}, notAcceptableError(accept)
}

func offered(m MediaType, offers []MediaType) bool {
	for _, o := range offers {
		if o.Kind != m.Kind {
			continue
		}
		if m.Kind != MediaOther || strings.EqualFold(o.Raw, m.Raw) {
			return true
		}
	}
	return false
}

package rest

import (
	"strconv"
	"strings"
)

// ReturnPref is Prefer: return=.
type ReturnPref uint8

const (
	ReturnUnset          ReturnPref = iota
	ReturnMinimal                   // return=minimal
	ReturnHeadersOnly               // return=headers-only
	ReturnRepresentation            // return=representation
)

// CountPref is Prefer: count=.
type CountPref uint8

const (
	CountUnset     CountPref = iota
	CountExact               // count=exact
	CountPlanned             // count=planned
	CountEstimated           // count=estimated
)

// ResolutionPref is Prefer: resolution= (upsert).
type ResolutionPref uint8

const (
	ResolutionUnset  ResolutionPref = iota
	MergeDuplicates                 // resolution=merge-duplicates
	IgnoreDuplicates                // resolution=ignore-duplicates
)

// MissingPref is Prefer: missing=.
type MissingPref uint8

const (
	MissingUnset   MissingPref = iota
	MissingDefault             // missing=default
	MissingNull                // missing=null
)

// HandlingPref is Prefer: handling=. Unset behaves as lenient.
type HandlingPref uint8

const (
	HandlingUnset   HandlingPref = iota
	HandlingLenient              // handling=lenient
	HandlingStrict               // handling=strict
)

// TxPref is Prefer: tx=. The handler honours it only where the project
// allows transaction overrides.
type TxPref uint8

const (
	TxUnset    TxPref = iota
	TxCommit          // tx=commit
	TxRollback        // tx=rollback
)

// ParamsPref is Prefer: params= (RPC, deprecated in PostgREST 12).
type ParamsPref uint8

const (
	ParamsUnset           ParamsPref = iota
	ParamsSingleObject               // params=single-object
	ParamsMultipleObjects            // params=multiple-objects
)

// Preferences are the Prefer request header(s), RFC 7240. For each
// preference the first occurrence wins, across all Prefer headers.
type Preferences struct {
	Return     ReturnPref
	Count      CountPref
	Resolution ResolutionPref
	Missing    MissingPref
	Handling   HandlingPref
	Tx         TxPref
	Params     ParamsPref
	// Timezone is timezone=, "" when absent. The handler checks it against
	// pg_timezone_names.
	Timezone string
	// MaxAffected is max-affected=N when HasMaxAffected.
	MaxAffected    int64
	HasMaxAffected bool
	// Invalid lists the preferences that were not recognized, as given.
	Invalid []string
}

// simplePrefs maps every recognized "name=value" preference to a setter that
// keeps the first occurrence.
var simplePrefs = map[string]func(*Preferences){
	"return=minimal":               func(p *Preferences) { setFirst(&p.Return, ReturnMinimal) },
	"return=headers-only":          func(p *Preferences) { setFirst(&p.Return, ReturnHeadersOnly) },
	"return=representation":        func(p *Preferences) { setFirst(&p.Return, ReturnRepresentation) },
	"count=exact":                  func(p *Preferences) { setFirst(&p.Count, CountExact) },
	"count=planned":                func(p *Preferences) { setFirst(&p.Count, CountPlanned) },
	"count=estimated":              func(p *Preferences) { setFirst(&p.Count, CountEstimated) },
	"resolution=merge-duplicates":  func(p *Preferences) { setFirst(&p.Resolution, MergeDuplicates) },
	"resolution=ignore-duplicates": func(p *Preferences) { setFirst(&p.Resolution, IgnoreDuplicates) },
	"missing=default":              func(p *Preferences) { setFirst(&p.Missing, MissingDefault) },
	"missing=null":                 func(p *Preferences) { setFirst(&p.Missing, MissingNull) },
	"handling=lenient":             func(p *Preferences) { setFirst(&p.Handling, HandlingLenient) },
	"handling=strict":              func(p *Preferences) { setFirst(&p.Handling, HandlingStrict) },
	"tx=commit":                    func(p *Preferences) { setFirst(&p.Tx, TxCommit) },
	"tx=rollback":                  func(p *Preferences) { setFirst(&p.Tx, TxRollback) },
	"params=single-object":         func(p *Preferences) { setFirst(&p.Params, ParamsSingleObject) },
	"params=multiple-objects":      func(p *Preferences) { setFirst(&p.Params, ParamsMultipleObjects) },
}

func setFirst[T ~uint8](dst *T, v T) {
	if *dst == 0 {
		*dst = v
	}
}

// ParsePrefer parses the values of the Prefer request headers. Each value is a
// comma-separated list of preferences; values are matched exactly, as
// PostgREST does. Unrecognized preferences are collected in Invalid and, when
// handling=strict is given, make ParsePrefer return a PGRST122 error along
// with the preferences.
func ParsePrefer(values []string) (Preferences, error) {
	var p Preferences
	for _, v := range values {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "" {
				continue
			}
			if set, ok := simplePrefs[tok]; ok {
				set(&p)
				continue
			}
			if tz, ok := strings.CutPrefix(tok, "timezone="); ok && tz != "" {
				if p.Timezone == "" {
					p.Timezone = tz
				}
				continue
			}
			if n, ok := strings.CutPrefix(tok, "max-affected="); ok {
				if v, err := strconv.ParseInt(n, 10, 64); err == nil && v >= 0 {
					if !p.HasMaxAffected {
						p.MaxAffected, p.HasMaxAffected = v, true
					}
					continue
				}
			}
			p.Invalid = append(p.Invalid, tok)
		}
	}
	if p.Handling == HandlingStrict && len(p.Invalid) > 0 {
		return p, invalidPreferencesError(p.Invalid)
	}
	return p, nil
}

// String renders the preferences that are set, in PostgREST's order for the
// Preference-Applied header. The handler clears the ones it did not apply
// (for example tx where overrides are not allowed) before using it there.
func (p Preferences) String() string {
	var parts []string
	add := func(s string) { parts = append(parts, s) }
	switch p.Resolution {
	case MergeDuplicates:
		add("resolution=merge-duplicates")
	case IgnoreDuplicates:
		add("resolution=ignore-duplicates")
	}
	switch p.Missing {
	case MissingDefault:
		add("missing=default")
	case MissingNull:
		add("missing=null")
	}
	switch p.Return {
	case ReturnMinimal:
		add("return=minimal")
	case ReturnHeadersOnly:
		add("return=headers-only")
	case ReturnRepresentation:
		add("return=representation")
	}
	switch p.Count {
	case CountExact:
		add("count=exact")
	case CountPlanned:
		add("count=planned")
	case CountEstimated:
		add("count=estimated")
	}
	switch p.Tx {
	case TxCommit:
		add("tx=commit")
	case TxRollback:
		add("tx=rollback")
	}
	switch p.Handling {
	case HandlingLenient:
		add("handling=lenient")
	case HandlingStrict:
		add("handling=strict")
	}
	if p.Timezone != "" {
		add("timezone=" + p.Timezone)
	}
	if p.HasMaxAffected && p.Handling == HandlingStrict {
		add("max-affected=" + strconv.FormatInt(p.MaxAffected, 10))
	}
	switch p.Params {
	case ParamsSingleObject:
		add("params=single-object")
	case ParamsMultipleObjects:
		add("params=multiple-objects")
	}
	return strings.Join(parts, ", ")
}

package kernel

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/magflock/mobo/internal/suggest"
)

// Configuration is a typed struct whose fields carry `toml:"name"` tags; nested
// structs make dotted keys ("http.listen"). Load fills it from, in increasing
// precedence: the struct's own values (the defaults), a file (mobo.toml or
// mobo.yaml), MOBO_* environment variables and command-line flags. A field
// tagged `secret:"true"` is redacted by [Redact]. A struct at any depth with a
// `Validate() error` method is validated after loading.
//
// Environment names are derived from keys: http.listen is MOBO_HTTP_LISTEN. A
// field may add an alias with `env:"MOBO_JWT_SECRET"`.

// LoadOptions says where configuration comes from.
type LoadOptions struct {
	// File is a config file that must exist (from --config). If empty, the
	// first of DefaultFiles that exists is read, if any.
	File         string
	DefaultFiles []string
	// Environ is the environment, as os.Environ returns it.
	Environ []string
	// IgnoreEnv lists MOBO_* variables that are not config keys (MOBO_URL, …);
	// any other unknown MOBO_* variable is reported in [LoadResult.Warnings].
	IgnoreEnv []string
	// Flags are the flags the user set, in the order given.
	Flags []Flag
}

// Flag is one command-line flag bound to a config key.
type Flag struct {
	Name  string // without dashes, for messages
	Key   string // dotted config key
	Value string
}

// LoadResult tells what Load read.
type LoadResult struct {
	File     string   // the file read, or ""
	Warnings []string // unknown MOBO_* variables and the like
}

const envPrefix = "MOBO_"

// Load fills dst (a pointer to a config struct holding its defaults) from the
// sources in o, then validates it. Errors are [*ConfigError]s naming the
// source and key.
func Load(dst any, o LoadOptions) (LoadResult, error) {
	var res LoadResult
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return res, errors.New("config: Load needs a pointer to a struct")
	}
	fields := leafFields(rv.Elem().Type(), "")

	file := o.File
	if file == "" {
		for _, f := range o.DefaultFiles {
			if _, err := os.Stat(f); err == nil {
				file = f
				break
			}
		}
	}
	if file != "" {
		if err := loadFile(rv.Elem(), fields, file); err != nil {
			return res, err
		}
		res.File = file
	}

	byEnv := make(map[string]leaf, len(fields))
	for _, f := range fields {
		byEnv[f.env] = f
		if f.alias != "" {
			byEnv[f.alias] = f
		}
	}
	// An alias (a peer-compatible name such as MOBO_JWT_SECRET) is applied
	// after the derived name, so it wins when both are set.
	for _, aliases := range []bool{false, true} {
		for _, kv := range o.Environ {
			name, val, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(name, envPrefix) {
				continue
			}
			f, known := byEnv[name]
			if !known {
				if !aliases && !slices.Contains(o.IgnoreEnv, name) {
					res.Warnings = append(res.Warnings, fmt.Sprintf("environment variable %s is not a config key", name))
				}
				continue
			}
			if (name == f.alias) != aliases {
				continue
			}
			if err := setString(fieldByPath(rv.Elem(), f.path), val); err != nil {
				return res, &ConfigError{Source: "environment " + name, Key: f.key, Err: err}
			}
		}
	}

	byKey := make(map[string]leaf, len(fields))
	for _, f := range fields {
		byKey[f.key] = f
	}
	for _, fl := range o.Flags {
		f, ok := byKey[fl.Key]
		if !ok {
			return res, &ConfigError{Source: "flag --" + fl.Name, Key: fl.Key, Err: ErrUnknownKey}
		}
		if err := setString(fieldByPath(rv.Elem(), f.path), fl.Value); err != nil {
			return res, &ConfigError{Source: "flag --" + fl.Name, Key: fl.Key, Err: err}
		}
	}
	if err := validate(rv.Elem()); err != nil {
		return res, &ConfigError{Source: "validation", Err: err}
	}
	return res, nil
}

type leaf struct {
	key    string // dotted key
	env    string // derived environment name
	alias  string // extra environment name from the env tag
	path   []int  // field index path
	secret bool
}

func tagName(f reflect.StructField) string {
	tag := f.Tag.Get("toml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// isLeaf reports whether a field holds a value rather than a nested table.
func isLeaf(t reflect.Type) bool {
	return t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]()
}

func leafFields(t reflect.Type, prefix string) []leaf {
	var out []leaf
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := tagName(f)
		if name == "" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if !isLeaf(f.Type) {
			for _, l := range leafFields(f.Type, key) {
				l.path = append([]int{i}, l.path...)
				out = append(out, l)
			}
			continue
		}
		out = append(out, leaf{
			key:    key,
			env:    envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_")),
			alias:  f.Tag.Get("env"),
			path:   []int{i},
			secret: f.Tag.Get("secret") == "true",
		})
	}
	return out
}

func fieldByPath(v reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		v = v.Field(i)
	}
	return v
}

func loadFile(dst reflect.Value, fields []leaf, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return &ConfigError{Source: file, Err: err}
	}
	var m map[string]any
	switch strings.ToLower(filepath.Ext(file)) {
	case ".toml":
		err = toml.Unmarshal(data, &m)
	case ".yaml", ".yml":
		err = yaml.Unmarshal(data, &m)
	default:
		return &ConfigError{Source: file, Err: errors.New("unknown file type: want .toml, .yaml or .yml")}
	}
	if err != nil {
		return &ConfigError{Source: file, Err: fmt.Errorf("parsing: %w", err)}
	}
	byKey := make(map[string]leaf, len(fields))
	for _, f := range fields {
		byKey[f.key] = f
	}
	return applyMap(dst, byKey, file, "", m)
}

func applyMap(dst reflect.Value, byKey map[string]leaf, file, prefix string, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic: the first error is always the same one
	for _, k := range keys {
		v := m[k]
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if f, ok := byKey[key]; ok {
			if err := setAny(fieldByPath(dst, f.path), v); err != nil {
				return &ConfigError{Source: file, Key: key, Err: err}
			}
			continue
		}
		if sub, ok := v.(map[string]any); ok && hasPrefix(byKey, key+".") {
			if err := applyMap(dst, byKey, file, key, sub); err != nil {
				return err
			}
			continue
		}
		err := ErrUnknownKey
		if s := closestKey(byKey, key); s != "" {
			err = fmt.Errorf("%w (did you mean %q?)", ErrUnknownKey, s)
		}
		return &ConfigError{Source: file, Key: key, Err: err}
	}
	return nil
}

func hasPrefix(byKey map[string]leaf, p string) bool {
	for k := range byKey {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// closestKey returns the known key closest to key by edit distance, if close enough.
func closestKey(byKey map[string]leaf, key string) string {
	best, bestD := "", 4
	for k := range byKey {
		if d := suggest.Distance(k, key); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

var durationType = reflect.TypeFor[time.Duration]()

// setAny stores a value decoded from a file into v.
func setAny(v reflect.Value, x any) error {
	switch x := x.(type) {
	case string:
		return setString(v, x)
	case bool:
		if v.Kind() != reflect.Bool {
			return fmt.Errorf("got a boolean, want %s", kindName(v.Type()))
		}
		v.SetBool(x)
		return nil
	case int64:
		return setInt(v, x)
	case int:
		return setInt(v, int64(x))
	case uint64:
		if x > 1<<62 {
			return errors.New("number out of range")
		}
		return setInt(v, int64(x))
	case float64:
		if v.Kind() == reflect.Float64 || v.Kind() == reflect.Float32 {
			v.SetFloat(x)
			return nil
		}
		if x == float64(int64(x)) {
			return setInt(v, int64(x))
		}
		return fmt.Errorf("got %v, want %s", x, kindName(v.Type()))
	case map[string]any:
		if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("got a table, want %s", kindName(v.Type()))
		}
		m := reflect.MakeMapWithSize(v.Type(), len(x))
		for k, e := range x {
			var str string
			switch e := e.(type) {
			case string:
				str = e
			case bool, int, int64, uint64, float64:
				str = fmt.Sprint(e)
			default:
				return fmt.Errorf("%s: got %T, want a string", k, e)
			}
			m.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(str))
		}
		v.Set(m)
		return nil
	case []any:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
			return setStructSlice(v, x)
		}
		if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("got a list, want %s", kindName(v.Type()))
		}
		s := reflect.MakeSlice(v.Type(), 0, len(x))
		for _, e := range x {
			str, ok := e.(string)
			if !ok {
				return fmt.Errorf("list element %v: want a string", e)
			}
			s = reflect.Append(s, reflect.ValueOf(str).Convert(v.Type().Elem()))
		}
		v.Set(s)
		return nil
	}
	return fmt.Errorf("got %T, want %s", x, kindName(v.Type()))
}

// setStructSlice fills a slice of structs from an array of tables.
func setStructSlice(v reflect.Value, list []any) error {
	out := reflect.MakeSlice(v.Type(), len(list), len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("element %d: want a table", i)
		}
		if err := setStruct(out.Index(i), m); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	v.Set(out)
	return nil
}

// setStruct fills struct v from a table, by toml tag; unknown keys are errors.
func setStruct(v reflect.Value, m map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		found := false
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || tagName(f) != k {
				continue
			}
			found = true
			fv := v.Field(i)
			if sub, ok := m[k].(map[string]any); ok && !isLeaf(f.Type) {
				if err := setStruct(fv, sub); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
			} else if err := setAny(fv, m[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			break
		}
		if !found {
			return fmt.Errorf("%q: %w", k, ErrUnknownKey)
		}
	}
	return nil
}

func setInt(v reflect.Value, n int64) error {
	switch {
	case v.Type() == durationType:
		return errors.New("want a duration with a unit, like \"5s\" or \"1m30s\"")
	case v.CanInt():
		if v.OverflowInt(n) {
			return fmt.Errorf("%d out of range", n)
		}
		v.SetInt(n)
	case v.CanUint():
		if n < 0 || v.OverflowUint(uint64(n)) {
			return fmt.Errorf("%d out of range", n)
		}
		v.SetUint(uint64(n))
	case v.Kind() == reflect.Float64:
		v.SetFloat(float64(n))
	default:
		return fmt.Errorf("got a number, want %s", kindName(v.Type()))
	}
	return nil
}

// setString parses s (from the environment, a flag or a file string) into v.
func setString(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (like \"5s\" or \"1m30s\")", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		return setInt(v, n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil || n > 1<<62 {
			return fmt.Errorf("%q is not a non-negative integer", s)
		}
		return setInt(v, int64(n))
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported type %s", v.Type())
		}
		m := reflect.MakeMap(v.Type())
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			k, val, ok := strings.Cut(p, "=")
			if !ok {
				return fmt.Errorf("%q: want name=value pairs separated by commas", p)
			}
			m.SetMapIndex(reflect.ValueOf(strings.TrimSpace(k)), reflect.ValueOf(strings.TrimSpace(val)))
		}
		v.Set(m)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported type %s", v.Type())
		}
		var parts []string
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		sl := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			sl.Index(i).SetString(p)
		}
		v.Set(sl)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t.Kind() == reflect.Map:
		return "a table"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return "an integer"
}

type validator interface{ Validate() error }

// validate calls Validate on nested structs first, then on v itself.
func validate(v reflect.Value) error {
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() || isLeaf(f.Type()) {
			continue
		}
		if err := validate(f); err != nil {
			return err
		}
	}
	if val, ok := v.Interface().(validator); ok {
		return val.Validate()
	}
	if v.CanAddr() {
		if val, ok := v.Addr().Interface().(validator); ok {
			return val.Validate()
		}
	}
	return nil
}

// Redact returns cfg as a nested map, ready to print, with every non-empty
// `secret:"true"` field replaced by "<redacted>".
func Redact(cfg any) map[string]any {
	rv := reflect.Indirect(reflect.ValueOf(cfg))
	out := map[string]any{}
	for _, f := range leafFields(rv.Type(), "") {
		v := fieldByPath(rv, f.path)
		var x any
		switch {
		case f.secret && !v.IsZero():
			x = "<redacted>"
		case v.Type() == durationType:
			x = time.Duration(v.Int()).String()
		default:
			x = v.Interface()
		}
		m := out
		parts := strings.Split(f.key, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = x
	}
	return out
}

// EnvNames returns the environment variable for each config key of cfg, for
// documentation and `mobo config --keys`.
func EnvNames(cfg any) map[string]string {
	out := map[string]string{}
	for _, f := range leafFields(reflect.Indirect(reflect.ValueOf(cfg)).Type(), "") {
		out[f.key] = f.env
		if f.alias != "" {
			out[f.key] += " or " + f.alias
		}
	}
	return out
}

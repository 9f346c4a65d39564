package rest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Config is the REST API's configuration, PostgREST's settings that go with
// it. The zero value is the documented default: schema public, no extra
// search path, no row limit, aggregates off, anonymous access on,
// transaction overrides off, plans off.
//
// The [rest] section of the platform's configuration is every project's
// default; a project overrides any of its keys in the control plane
// ([Server.PatchProjectConfig]), under the same names.
type Config struct {
	// Schemas are the exposed schemas; the first is the default one.
	// Default ["public"] (PostgREST's db-schemas).
	Schemas []string `toml:"schemas" json:"schemas"`
	// ExtraSearchPath is appended to the search path of every request
	// (PostgREST's db-extra-search-path). Default ["public"].
	ExtraSearchPath []string `toml:"extra_search_path" json:"extra_search_path"`
	// MaxRows caps the rows a read returns; 0 is no cap (db-max-rows).
	MaxRows int64 `toml:"max_rows" json:"max_rows"`
	// Aggregates allows aggregate functions in select (db-aggregates-enabled).
	Aggregates bool `toml:"aggregates" json:"aggregates"`
	// DisableAnonymous refuses requests without credentials with PGRST302
	// instead of running them as the anonymous role.
	DisableAnonymous bool `toml:"disable_anonymous" json:"disable_anonymous"`
	// TxOverrides honours Prefer: tx=commit|rollback (db-tx-end
	// commit-allow-override).
	TxOverrides bool `toml:"tx_overrides" json:"tx_overrides"`
	// Plan serves execution plans for Accept: application/vnd.pgrst.plan
	// (db-plan-enabled).
	Plan bool `toml:"plan" json:"plan"`
	// MaxBodyBytes bounds a request body; a larger one is 413. Default
	// 32 MiB ([DefaultMaxBodyBytes]); at most 1 GiB.
	MaxBodyBytes int64 `toml:"max_body_bytes" json:"max_body_bytes"`
}

// DefaultMaxBodyBytes is [Config.MaxBodyBytes]'s default: PostgREST sets
// none, GoTrue 1 MiB; bulk inserts of tens of thousands of rows fit.
const DefaultMaxBodyBytes = 32 << 20

// maxBody is the body limit in force.
func (c Config) maxBody() int64 { return cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes) }

var schemaNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// maxSchemaNames bounds the exposed schemas and the extra search path.
const maxSchemaNames = 64

// Validate reports a malformed setting.
func (c Config) Validate() error {
	if c.MaxRows < 0 {
		return errors.New("rest.max_rows must not be negative")
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > 1<<30 {
		return errors.New("rest.max_body_bytes must be between 0 (the default) and 1 GiB")
	}
	if len(c.Schemas) > maxSchemaNames || len(c.ExtraSearchPath) > maxSchemaNames {
		return fmt.Errorf("rest: at most %d schemas", maxSchemaNames)
	}
	for _, s := range append(append([]string{}, c.Schemas...), c.ExtraSearchPath...) {
		if len(s) > 63 || !schemaNameRE.MatchString(s) {
			return fmt.Errorf("rest: %q is not a schema name", s)
		}
	}
	if i := firstDuplicate(c.Schemas); i >= 0 {
		return fmt.Errorf("rest: schema %q is listed twice", c.Schemas[i])
	}
	return nil
}

func firstDuplicate(names []string) int {
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return i
		}
	}
	return -1
}

func (c Config) schemas() []string {
	if len(c.Schemas) == 0 {
		return []string{"public"}
	}
	return c.Schemas
}

// resolved is c with its defaults spelt out, as the admin API shows it.
func (c Config) resolved() Config {
	c.Schemas = slices.Clone(c.schemas())
	c.ExtraSearchPath = slices.Clone(c.extraSearchPath())
	c.MaxBodyBytes = c.maxBody()
	return c
}

// searchPath is the search_path of requests on schema: the schema, then
// the extra search path.
func (c Config) searchPath(schema string) string {
	parts := []string{ident(schema)}
	for _, s := range c.extraSearchPath() {
		if s != schema {
			parts = append(parts, ident(s))
		}
	}
	return strings.Join(parts, ", ")
}

func (c Config) extraSearchPath() []string {
	if c.ExtraSearchPath == nil {
		return []string{"public"}
	}
	return c.ExtraSearchPath
}

// withOverrides returns c with a project's overrides applied: overrides is
// a JSON object whose keys are Config's ("max_rows": 100). Unknown keys,
// values of the wrong type and settings Validate refuses are errors
// wrapping [ErrInvalidConfig].
func (c Config) withOverrides(overrides []byte) (Config, error) {
	out := c
	out.Schemas = slices.Clone(c.Schemas)
	out.ExtraSearchPath = slices.Clone(c.ExtraSearchPath)
	if t := bytes.TrimSpace(overrides); len(t) == 0 || string(t) == "null" {
		return out, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(overrides, &keys); err != nil || keys == nil {
		return c, fmt.Errorf("%w: the settings must be a JSON object", ErrInvalidConfig)
	}
	for k, v := range keys {
		if string(bytes.TrimSpace(v)) == "null" {
			return c, fmt.Errorf("%w: %s: null is not a value", ErrInvalidConfig, k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(overrides))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return c, fmt.Errorf("%w: %s", ErrInvalidConfig, jsonProblem(err))
	}
	if err := out.Validate(); err != nil {
		return c, fmt.Errorf("%w: %s", ErrInvalidConfig, err.Error())
	}
	return out, nil
}

// jsonProblem says what is wrong with a settings object, in words meant
// for the person who sent it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: %s is not a %s", te.Field, te.Value, jsonTypeName(te.Type.String()))
	}
	return err.Error()
}

func jsonTypeName(goType string) string {
	switch goType {
	case "[]string":
		return "list of schema names"
	case "int64":
		return "whole number"
	case "bool":
		return "boolean"
	}
	return goType
}

// validatePatch checks a change of a project's settings: a JSON object
// whose keys are Config's, each a valid value or null (back to the
// platform default). Settings are independent of one another, so a patch
// whose values are valid gives valid settings whatever it is merged into.
func validatePatch(patch []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(patch, &keys); err != nil || keys == nil {
		return fmt.Errorf("%w: the body must be a JSON object of settings", ErrInvalidConfig)
	}
	set := map[string]json.RawMessage{}
	for k, v := range keys {
		if !slices.Contains(configKeys, k) {
			return fmt.Errorf("%w: unknown setting %q (known: %v)", ErrInvalidConfig, k, configKeys)
		}
		if string(bytes.TrimSpace(v)) != "null" {
			set[k] = v
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, err.Error())
	}
	_, err = Config{}.withOverrides(b)
	return err
}

// configKeys are the names of the settings, as in the [rest] section:
// Config's JSON names.
var configKeys = func() []string {
	t := reflect.TypeFor[Config]()
	keys := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}()

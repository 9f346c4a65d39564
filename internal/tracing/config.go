package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Config is the [tracing] section.
type Config struct {
	// Endpoint is the OTLP/HTTP collector's URL, as
	// http://127.0.0.1:4318 (its path defaults to /v1/traces; https
	// uses TLS). Empty: tracing is off, the default.
	Endpoint string `toml:"endpoint"`
	// Headers are sent with every export (a collector's API key, say).
	Headers map[string]string `toml:"headers" secret:"true"`
	// SampleRatio is the share of traces started here that are recorded
	// and exported, in (0, 1]. A request that carries a traceparent
	// follows its caller's decision instead. Default 0.1.
	SampleRatio float64 `toml:"sample_ratio"`
	// ServiceName is the service.name of the exported spans. Default
	// "mobo".
	ServiceName string `toml:"service_name"`
	// Statements records each SQL statement's text as db.query.text:
	// the compiled SQL, whose values are all placeholders, never a
	// request's values. Default off.
	Statements bool `toml:"statements"`
}

// DefaultSampleRatio is [Config.SampleRatio]'s default.
const DefaultSampleRatio = 0.1

// Validate checks the endpoint and the ratio.
func (c Config) Validate() error {
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return fmt.Errorf("tracing.sample_ratio %v: want a number in (0, 1]", c.SampleRatio)
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return fmt.Errorf("tracing.headers: %q is not a header name", k)
		}
	}
	if c.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("tracing.endpoint: want an http:// or https:// URL, as http://127.0.0.1:4318")
	}
	return nil
}

// Enabled reports whether tracing is on.
func (c Config) Enabled() bool { return c.Endpoint != "" }

func (c Config) withDefaults() Config {
	if c.SampleRatio == 0 {
		c.SampleRatio = DefaultSampleRatio
	}
	if c.ServiceName == "" {
		c.ServiceName = "mobo"
	}
	return c
}

// exportURL is the endpoint with OTLP's traces path when it names none.
func (c Config) exportURL() string {
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return c.Endpoint
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String()
}

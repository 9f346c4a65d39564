package rest

import (
	"github.com/magflock/mobo/internal/catalog"
)

// Schema is one immutable snapshot of a project for the REST API: the
// catalog of its exposed schemas, the settings it was loaded with and the
// reads compiled against it. A reload builds a new Schema and swaps it in;
// requests keep the snapshot they started with.
type Schema struct {
	*catalog.Catalog
	// cfg is the project's effective configuration, loaded with the
	// snapshot so that a request sees settings and schema that agree.
	cfg *Config
	// reads are the reads compiled against this snapshot.
	reads readCache
	// searchPaths are the search_path of requests on each exposed schema,
	// built once with the snapshot rather than on every request.
	searchPaths map[string]string
}

// setConfig makes cfg the snapshot's configuration.
func (sc *Schema) setConfig(cfg *Config) {
	sc.cfg = cfg
	sc.searchPaths = make(map[string]string, len(cfg.schemas()))
	for _, s := range cfg.schemas() {
		sc.searchPaths[s] = cfg.searchPath(s)
	}
}

// searchPath is the search_path of requests on schema.
func (sc *Schema) searchPath(schema string) string {
	if p, ok := sc.searchPaths[schema]; ok {
		return p
	}
	return sc.config().searchPath(schema)
}

// The catalog's types, as the compiler names them.
type (
	QName      = catalog.QName
	Relation   = catalog.Relation
	Column     = catalog.Column
	ForeignKey = catalog.ForeignKey
	Function   = catalog.Function
	FuncArg    = catalog.FuncArg
)

// config is the configuration the snapshot was loaded with.
func (sc *Schema) config() *Config {
	if sc.cfg == nil {
		return &Config{}
	}
	return sc.cfg
}

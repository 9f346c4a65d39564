package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Benign returns n benign values as an API sees them in filters, RPC
// arguments and JSON bodies: names (O'Brien), emails, URLs, dates, ids,
// numbers, PostgREST filter strings, JSON text, passwords, prose and
// chat full of SQL words, code snippets in prose, markdown, addresses,
// product names and search queries.
func Benign(r *rand.Rand, n int) []Sample {
	gens := benignGenerators
	out := make([]Sample, 0, n)
	for len(out) < n {
		g := gens[r.IntN(len(gens))]
		out = append(out, Sample{Value: g(r), Label: LabelBenign})
	}
	return out
}

// benignGenerators are weighted by repetition.
var benignGenerators = []func(*rand.Rand) string{
	name, name, name, email, email, url, date, date, uuid, number, number,
	postgrest, postgrest, postgrest, jsonText, jsonText, password, password,
	prose, prose, prose, prose, prose, chat, chat, codeInProse, markdown,
	address, product, product, search, search, identifier, misc, misc, phone,
	quotedWords, quotedWords, sqlTalk, technical, technical,
}

// technical is what developers paste: log lines, shell commands, CSV rows,
// spreadsheet formulas, filter expressions, config lines.
func technical(r *rand.Rand) string {
	w, n := oneOf(r, words...), r.IntN(1000)
	name := oneOf(r, lastNames...)
	switch r.IntN(9) {
	case 0:
		return fmt.Sprintf("2024-%02d-%02d %02d:%02d:%02d %s user=%s action=%s status=%d", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60),
			oneOf(r, "INFO", "WARN", "ERROR", "DEBUG"), strings.ToLower(oneOf(r, firstNames...)), w, oneOf(r, 200, 201, 404, 500))
	case 1:
		return oneOf(r, "grep -r '"+w+"' . | wc -l", "echo '"+w+"' || exit 1", "test -f x && echo 'yes' || echo 'no'", "psql -c 'SELECT "+fmt.Sprint(n)+"'",
			"git commit -m '"+w+" the docs; fix typo'", "find . -name '*.sql' -exec rm {} \\;", "curl -s 'https://example.com/api?q="+w+"' | jq .", "awk -F';' '{print $2}' data.csv")
	case 2:
		return fmt.Sprintf("%d,%q,'%s',%d.%02d", n, name, strings.ToLower(w)+"@example.com", r.IntN(100), r.IntN(100))
	case 3:
		return oneOf(r, "=SUM(A1:A"+fmt.Sprint(n)+")", "=IF(B2>"+fmt.Sprint(n)+",\"High\",\"Low\")", "=VLOOKUP(A2,Sheet2!A:B,2,FALSE)", "=COUNTIF(C:C,\"'"+w+"\")", "=A1&\" \"&B1")
	case 4:
		return oneOf(r, "status = 'active' and age > "+fmt.Sprint(n%90), "name = '"+name+"'", "color in ('red', 'blue')", "price between 10 and "+fmt.Sprint(n),
			"title like '%"+w+"%'", "created_at >= '2024-01-01'", "tags @> '{"+w+"}'", "data->>'"+w+"' = 'x'")
	case 5:
		return oneOf(r, "GET /api/items?id="+fmt.Sprint(n)+"&sort=name HTTP/1.1", "POST /rest/v1/"+w+" 201 12ms", "HTTP/1.1 404 Not Found",
			"Error 1064: syntax error near '"+w+"' at line 1", "ERROR:  column \""+w+"\" does not exist", "WARN query took "+fmt.Sprint(n)+"ms: "+strings.ToUpper(w)+" ...")
	case 6:
		return oneOf(r, "key1=val1;key2=val2", "host=localhost port=5432 dbname="+w, "max_connections = "+fmt.Sprint(n), "PGOPTIONS='-c search_path="+w+"'",
			"export "+strings.ToUpper(w)+"_URL='postgres://u@h/db'", "[section] "+w+" = true ; comment", "# "+w+" settings")
	case 7:
		return oneOf(r, "f('"+w+"') or g('x')", "x = '"+w+"' if y else 'z'", "print('"+w+"'); print('done')", "if (a == '"+w+"' || b) { return; }",
			"SELECT "+w+" FROM t -- as in the docs", "-- "+w+" is a comment", "/* "+w+" */", "{\"sql\": \"DROP TABLE x;\"}")
	}
	return fmt.Sprintf("%s's order #%d -- %s (ETA %d days); '%s' or '%s'", name, n, oneOf(r, "shipped", "backordered", "cancelled"), r.IntN(9), w, oneOf(r, words...))
}

// quotedWords is prose that quotes words, SQL's among them: the quotes
// open and close like a payload's, the words are not SQL.
func quotedWords(r *rand.Rand) string {
	w := func() string { return oneOf(r, words...) }
	q := oneOf(r, "'", "'", "\"")
	t := oneOf(r,
		"%[1]s%[2]s%[1]s is a word", "%[1]s%[2]s%[1]s vs %[1]s%[3]s%[1]s", "Choose %[1]s%[2]s%[1]s or %[1]s%[3]s%[1]s",
		"the %[1]s%[2]s%[1]s button", "%[1]s%[2]s%[1]s and %[1]s%[3]s%[1]s are different", "type %[1]s%[2]s%[1]s to confirm",
		"%[1]s%[2]s%[1]s, she said, %[1]s%[3]s%[1]s", "what does %[1]s%[2]s%[1]s mean?", "%[1]s%[2]s%[1]s or not",
		"press %[1]s%[2]s%[1]s -- then %[1]s%[3]s%[1]s", "the %[1]s%[2]s%[1]s keyword (see %[1]s%[3]s%[1]s)",
		"%[1]s%[2]s%[1]s is to %[1]s%[3]s%[1]s as 1 is to 2", "I said %[1]s%[2]s%[1]s; you said %[1]s%[3]s%[1]s",
		"%[1]s%[2]s %[3]s%[1]s is a phrase", "%[1]s%[2]s%[1]s: yes or no?")
	return fmt.Sprintf(t, q, w(), w())
}

// sqlTalk is people writing about SQL: questions, notes, snippets that
// are not payloads.
func sqlTalk(r *rand.Rand) string {
	w := oneOf(r, "SELECT", "UPDATE", "DELETE", "DROP", "UNION", "JOIN", "GRANT", "COPY", "ORDER BY", "GROUP BY")
	return oneOf(r,
		"How does "+w+" work in Postgres?", "Is "+w+" slow on big tables?", "Difference between "+w+" and "+oneOf(r, "MERGE", "TRUNCATE", "UNION ALL")+"?",
		"Use "+w+" carefully -- it can't be undone", "The docs for "+w+" are at https://www.postgresql.org/docs/", w+" vs. "+oneOf(r, "INSERT", "UPSERT", "WHERE")+": which one?",
		"Why does my "+w+" return nothing?", "I ran "+w+" by mistake; can you restore the backup?", "Tip: "+strings.ToLower(w)+" only what you need",
		"Error: syntax error at or near \""+w+"\"", "ERROR: relation \"users\" does not exist", "column \"name\" is of type text but expression is of type integer")
}

var (
	firstNames = []string{
		"Liam", "Olivia", "Noah", "Emma", "Seán", "Zoë", "José", "Chloé", "Mary", "John", "Aoife",
		"Siobhán", "Jean-Luc", "Anne-Marie", "Mohammed", "Wei", "Yuki", "Priya", "Lars", "Björn", "D'Andre", "Ja'Marr",
		"De'Aaron", "Le'Veon", "Ke'Bryan", "Shaq", "Dana", "Robert", "Li", "Ana", "Nadia", "Grace",
	}
	lastNames = []string{
		"O'Brien", "D'Angelo", "O'Neil", "O'Connor", "McDonald", "Smith", "Dell'Acqua", "D'Souza",
		"O'Reilly", "d'Artagnan", "N'Diaye", "Van der Berg", "García-López", "Müller", "Nguyen", "Kowalski",
		"St. John", "L'Estrange", "Al-Hassan", "Ó Súilleabháin", "Union", "Select", "Drop", "Order", "Grant",
		"Sleep", "Case", "Null", "Table", "Or", "And", "Smith-Jones", "O'Shea-Murphy", "D'Amato", "Dall'Ara",
	}
	words = []string{
		"select", "update", "delete", "drop", "insert", "union", "join", "from", "where", "order",
		"group", "table", "create", "grant", "set", "or", "and", "like", "having", "limit", "copy", "role",
		"execute", "sleep", "version", "user", "password", "case", "when", "null", "all", "into", "values",
		"load", "show", "begin", "commit", "cast", "alter", "truncate", "between", "exists", "by", "in",
	}
)

func name(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return oneOf(r, lastNames...)
	case 1:
		return oneOf(r, firstNames...)
	case 2:
		return oneOf(r, "Ben & Jerry's", "AT&T", "Procter & Gamble", "Toys \"R\" Us", "McDonald's", "Macy's",
			"Levi's", "Dunkin'", "Wendy's", "Kellogg's", "Lowe's", "Trader Joe's", "Moody's", "L'Oréal", "Dr. Pepper",
			"Marks & Spencer", "Johnson & Johnson", "O'Reilly Media", "Ye Olde Pub", "Union Pacific", "Drop Box Co.",
			"Select Comfort", "Sleep Number", "The \"Best\" Bakery", "Rock 'n' Roll Diner")
	}
	s := oneOf(r, firstNames...) + " " + oneOf(r, lastNames...)
	if withProb(r, 0.2) {
		s = oneOf(r, "Dr. ", "Mr. ", "Ms. ", "Prof. ", "") + s + oneOf(r, "", " Jr.", " III", ", PhD", " (she/her)")
	}
	return s
}

func email(r *rand.Rand) string {
	user := strings.ToLower(strings.NewReplacer(" ", ".", "'", "").Replace(oneOf(r, firstNames...) + oneOf(r, "", ".", "_") + oneOf(r, lastNames...)))
	if withProb(r, 0.15) {
		user += "+" + oneOf(r, "news", "test", "shop", "1")
	}
	if withProb(r, 0.05) {
		user = oneOf(r, "o'brien", "d'angelo", "first.o'neil")
	}
	return user + "@" + oneOf(r, "example.com", "gmail.com", "mail.co.uk", "uni.edu", "sub.example.org", "x.io")
}

func url(r *rand.Rand) string {
	host := oneOf(r, "https://example.com", "http://localhost:3000", "https://api.magflock.io", "https://www.google.com", "https://github.com/org/repo")
	path := oneOf(r, "", "/", "/search", "/rest/v1/todos", "/a/b/c.html", "/blog/2024/05/select-the-right-tool", "/docs/union-types", "/wiki/O'Brien")
	q := ""
	if withProb(r, 0.6) {
		q = "?" + oneOf(r, "q=drop+shipping", "id=5&sort=desc", "select=id,name&order=created_at.desc", "q=union%20station",
			"utm_source=news&utm_medium=email", "name=O%27Brien", "page=2&per_page=50", "q=select%20*%20from", "redirect=%2Fhome",
			"filter=status.eq.active", "email=a%40b.com", "q=rock+%27n%27+roll", "x=1%3B2", "q=1%25+off")
	}
	if withProb(r, 0.2) {
		q += "#" + oneOf(r, "top", "section-2", "L10-L20")
	}
	return host + path + q
}

func date(r *rand.Rand) string {
	y, m, d := 1990+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28)
	switch r.IntN(7) {
	case 0:
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	case 1:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, r.IntN(24), r.IntN(60), r.IntN(60))
	case 2:
		return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d.%06d+%02d", y, m, d, r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000000), r.IntN(12))
	case 3:
		return fmt.Sprintf("%d/%d/%d", m, d, y)
	case 4:
		return fmt.Sprintf("%02d.%02d.%d", d, m, y)
	case 5:
		return oneOf(r, "1 day", "2 hours 30 minutes", "P1Y2M3DT4H", "-1 week", "now", "tomorrow", "*/5 * * * *", "0 0 * * 1-5", "10:30", "10:30 PM", "Q3 2024")
	}
	return fmt.Sprintf("[%04d-%02d-%02d,%04d-%02d-%02d)", y, m, d, y+1, m, d)
}

func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32() & 0xff)
	}
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%x", b[:])
	case 1:
		return fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.%x.%x", b[:8], b[8:])
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func number(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return fmt.Sprint(r.IntN(1000000))
	case 1:
		return fmt.Sprintf("%.2f", r.Float64()*1000)
	case 2:
		return fmt.Sprintf("-%d", r.IntN(500))
	case 3:
		return fmt.Sprintf("%de%d", r.IntN(9)+1, r.IntN(20))
	case 4:
		return fmt.Sprintf("$%d,%03d.%02d", r.IntN(99)+1, r.IntN(1000), r.IntN(100))
	case 5:
		return fmt.Sprintf("%d%%", r.IntN(101))
	case 6:
		return oneOf(r, "0x1F", "1_000_000", ".5", "3.14159", "1/2", "2+2=4", "1,234", "10-15", "5 > 3", "x >= 10", "1e-9", "NaN", "Infinity", "-0")
	}
	return fmt.Sprintf("%d.%d.%d", r.IntN(10), r.IntN(30), r.IntN(100))
}

func postgrest(r *rand.Rand) string {
	col := oneOf(r, "id", "name", "status", "created_at", "author_id", "tags", "title", "price", "order", "user", "select")
	switch r.IntN(14) {
	case 0:
		return oneOf(r, "eq.", "neq.", "gt.", "gte.", "lt.", "lte.") + fmt.Sprint(r.IntN(1000))
	case 1:
		return fmt.Sprintf("in.(%d,%d,%d)", r.IntN(9), r.IntN(99), r.IntN(999))
	case 2:
		return oneOf(r, "is.null", "is.true", "is.false", "not.is.null", "is.unknown")
	case 3:
		return oneOf(r, "like.*foo*", "ilike.*Bar*", "like.O'Br*", "ilike.%25smith%25", "like.*select*", "not.like.*drop*")
	case 4:
		return oneOf(r, "cs.{a,b}", "cd.{1,2,3}", "ov.[2024-01-01,2024-12-31]", "cs.{\"x y\",z}", "ov.{tag1,tag2}", "sl.(1,10)", "adj.(5,6)")
	case 5:
		return oneOf(r, "fts(english).cat", "plfts.the fat cat", "phfts(english).fat cats", "wfts(french).chat", "fts.select & update", "wfts.'fat' & 'cat'")
	case 6:
		return fmt.Sprintf("or=(%s.eq.%d,%s.eq.%d)", col, r.IntN(9), oneOf(r, "a", "b", "status"), r.IntN(9))
	case 7:
		return fmt.Sprintf("and=(%s.gte.%d,%s.lte.%d,or(a.eq.1,b.is.null))", col, r.IntN(9), col, r.IntN(99))
	case 8:
		return oneOf(r, "id,name,author(name,email)", "*,comments(*)", "id,title,tags:tag_ids", "name,total:price.sum()", "id::text", "data->>name", "data->'address'->>'city'", "json_col->items->0")
	case 9:
		return oneOf(r, "created_at.desc.nullslast", "name.asc,id.desc", "order=id.desc", "limit=10&offset=20", "price.desc")
	case 10:
		return "eq." + oneOf(r, lastNames...)
	case 11:
		return fmt.Sprintf("%s=eq.%d&select=*", col, r.IntN(99))
	case 12:
		return oneOf(r, "not.in.(\"a,b\",c)", "in.(\"O'Brien\",\"Smith\")", "eq.\"quoted value\"", "match.^[a-z]+$", "imatch.select|update", "isdistinct.5")
	}
	return oneOf(r, "count=exact", "return=representation", "resolution=merge-duplicates", "missing=default", "tx=rollback")
}

func jsonText(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf(`{"id": %d, "name": %q, "active": true}`, r.IntN(999), oneOf(r, lastNames...))
	case 1:
		return fmt.Sprintf(`[{"op":"add","path":"/tags/-","value":%q}]`, oneOf(r, words...))
	case 2:
		return fmt.Sprintf(`{"query": "%s", "filters": {"status": ["open", "closed"]}, "limit": %d}`, oneOf(r, "select shoes", "drop-in class", "union station", "order #1234"), r.IntN(100))
	case 3:
		return `{"note": "it's fine; don't worry -- really", "n": null}`
	case 4:
		return fmt.Sprintf(`{"sql": "SELECT * FROM t WHERE id = $1", "args": [%d]}`, r.IntN(50))
	}
	return fmt.Sprintf(`{"a":{"b":[1,2,{"c":"%s's"}]}}`, oneOf(r, firstNames...))
}

func password(r *rand.Rand) string {
	const letters = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	const symbols = "!@#$%^&*()-_=+[]{};:,.<>/?~'\"|\\"
	n := 8 + r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		if withProb(r, 0.2) {
			b[i] = symbols[r.IntN(len(symbols))]
		} else {
			b[i] = letters[r.IntN(len(letters))]
		}
	}
	if withProb(r, 0.3) {
		return oneOf(r, "Summer2024!", "P@ssw0rd", "correct horse battery staple", "Tr0ub4dor&3", "hunter2", "iloveyou<3",
			"P@ss'w0rd!", "letmein;)", "qwerty-123", "Pa$$w0rd", "My$ecret#1", "s3cr3t(pw)", "a=b+c", "__init__")
	}
	return string(b)
}

func prose(r *rand.Rand) string {
	templates := []string{
		"Please %s the best option and %s me when you're done.",
		"%s me a line; I'll %s you from 1 to 2.",
		"Can you %s the report %s the %s section?",
		"We need to %s all the old records by Friday (or sooner).",
		"Don't %s the %s - it's still in use!",
		"I'd like to %s my order #%d, thanks.",
		"The %s and %s committee meets at 5:30pm; bring snacks.",
		"Hi team, can someone %s the %s table before the demo? It's urgent.",
		"She said \"%s it\" and left -- classic.",
		"Select your size, then click 'Add to cart' or 'Save for later'.",
		"Update: the meeting is moved to Tuesday; drop by if you can.",
		"Who's in? %s your name below, or reply 'no' if not.",
		"Order by phone: 1-800-555-0199 (Mon-Fri).",
		"Union members voted 85%% in favor; the strike ends today.",
		"Insert tab A into slot B, then tighten the screws (don't overdo it).",
		"From 9 to 5, Mon–Fri; weekends by appointment only.",
		"Grant's proposal was accepted; we'll start in Q3.",
		"I'll be there at 8 or 9, whichever works -- let me know!",
		"Rock 'n' roll, baby; it's 1 = 1 love.",
		"Table for 4 at 7pm, and a high chair please.",
		"The sleep study runs from 10pm to 6am; you'll get $50.",
		"Set the oven to 180°C, then bake for 20-25 mins.",
		"My kid's school (St. Mary's) is closed; can we reschedule?",
		"Is it 'color' or 'colour'? Depends who you ask...",
		"Version 2.0 drops support for IE11; upgrade or stay on 1.x.",
		"Call me at 555-1234 or email me; either's fine.",
		"It's a 50/50 chance; either way we win.",
	}
	t := oneOf(r, templates...)
	args := make([]any, 0, 4)
	for range strings.Count(t, "%s") {
		args = append(args, oneOf(r, words...))
	}
	for range strings.Count(t, "%d") {
		args = append(args, r.IntN(9999))
	}
	s := fmt.Sprintf(t, args...)
	if withProb(r, 0.3) {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func chat(r *rand.Rand) string {
	return oneOf(r, "lol ;-)", "ok :)", "what's up?", "can't wait!!!", "brb -- 5 min", "<3", "sure; why not", "no way...",
		"yes/no?", "it's 'fine'", "\"quoted\" text", "100% agree", "1st & 2nd place", "a.k.a. 'the boss'", "@channel heads up",
		"#general", "re: your msg", "thx!", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "👍", "héllo wörld", "これはテストです", "Привет, как дела?",
		"l'été est là", "aujourd'hui c'est lundi", "dell'arte", "y'all ready?", "ma'am", "o'clock", "rock'n'roll", "don't -- stop",
		"5'11\" tall", "a 12\" pizza", "it's 6' 2\"", "1--2 hours", "pages 10--20", "wait... what?!", "sorry, can't make it; sick",
		"union st & 5th ave", "select all that apply", "drop-off at 3pm", "or else!", "and then?", "or not.", "and/or",
		"I'm 100% sure it's O'Brien's", "Meet @ Joe's; 7pm", "the 'union' guys", "\"select\" is a keyword", "pls update me",
		"Dropped my phone; screen's cracked", "cost was $5 -- not bad", "user said: 'or maybe not'", "A or B?", "yes or no")
}

func codeInProse(r *rand.Rand) string {
	return oneOf(r,
		"Use `SELECT * FROM users` to list them",
		"Run `npm install` then `npm test`",
		"In Go, `x := y` declares x",
		"The query `SELECT id FROM todos WHERE done = false` is slow",
		"Try `git commit -m 'fix typo'`",
		"Set `DEBUG=1` in .env",
		"Call fetch('/api/items?id=5')",
		"Use a WHERE clause: WHERE created_at > now() - interval '1 day'",
		"in SQL, use ORDER BY name ASC to sort",
		"`UPDATE` needs a `WHERE`, or it hits every row",
		"def f(x): return x*2",
		"if (a && b || c) { return; }",
		"console.log(\"hello\");",
		"SELECT name FROM users WHERE id = $1",
		"The COPY command can import CSV files",
		"Use GRANT to give a role privileges",
		"x = a || b;",
		"array[1:3]",
		"const re = /^[a-z]+$/i;",
		"f(a, b) = a + b",
		"SELECT count(*) FROM orders;",
		"Why is my `JOIN` slow?",
		"{{ user.name }}",
		"${HOME}/bin",
		"$PATH and $HOME",
		"~/.bashrc",
		"a -> b -> c",
		"cast it as an int",
	)
}

func markdown(r *rand.Rand) string {
	return oneOf(r, "# Release notes", "## What's new", "- [x] done\n- [ ] todo", "**bold** and _italic_",
		"[link](https://example.com/a_(b))", "> quoted text", "| a | b |\n|---|---|\n| 1 | 2 |", "```sql\nselect 1;\n```",
		"1. first\n2. second", "---", "![img](x.png \"title\")", "<!-- comment -->", "~~strike~~", "Header\n======",
		"* item one\n* item two", "`code` here", "Line one  \nLine two", "Footnote[^1]", "Text <br> more", "H~2~O and x^2^")
}

func address(r *rand.Rand) string {
	return fmt.Sprintf("%d %s %s%s", r.IntN(9999)+1,
		oneOf(r, "O'Connell", "Main", "Union", "King's", "St. Mary's", "Grant", "Market", "Drop", "Select", "Baker"),
		oneOf(r, "St.", "Street", "Ave", "Road", "Blvd", "Lane"),
		oneOf(r, "", ", Apt #4", ", Suite 200", ", Dublin 1", "; Floor 3", " (rear entrance)", ", 2nd fl."))
}

func product(r *rand.Rand) string {
	return oneOf(r, "Levi's 501® Jeans", "3/4\" plywood sheet", "12\" pizza pan", "USB-C cable (2m)", "iPhone 15 Pro Max",
		"Men's T-shirt - Size M", "Kids' Table & Chairs Set", "Drop-leaf table", "Union Jack flag", "Select-A-Size paper towels",
		"Sleep mask (2-pack)", "Grant's Whisky 70cl", "Case of 24 (12 oz)", "Table saw 10\" blade", "Order #A-1234-B",
		"SKU: 123-456-789", "Wi-Fi 6E router", "C++ Primer, 5th ed.", "Ben & Jerry's Half Baked", "O'Keeffe's Working Hands",
		"The Hitchhiker's Guide to the Galaxy", "Pink Floyd - The Wall (1979)", "2'x4' rug", "100% cotton")
}

func search(r *rand.Rand) string {
	return oneOf(r, "red shoes size 10", "c++ tutorial", "what's new in pg 16?", "how to drop a table in postgres",
		"union vs union all", "select distinct example", "o'brien", "d'angelo plumbing", "best pizza near me",
		"1=1 meaning", "sleep apnea", "\"exact phrase\"", "-exclude +include", "site:example.com drop", "insert coin",
		"update iphone", "delete account", "grant application", "copy paste", "set theory", "or gate and gate",
		"waitfor async js", "select * from meaning", "sql injection tutorial", "jean's bakery", "cafe' au lait",
		"x or y", "a and b", "truncate text css", "execute order 66", "alter ego", "create react app")
}

func identifier(r *rand.Rand) string {
	return oneOf(r, "user_id", "select", "order", "group", "public.todos", "auth.users", "created_at", "Table1",
		"my-table", "\"Quoted Name\"", "first_name", "tbl_orders_2024", "x", "_private", "schema.table.column",
		"drop_zone", "union_members", "user's_table", "pg_catalog", "information_schema", "pg_sleep", "version")
}

func phone(r *rand.Rand) string {
	return oneOf(r, fmt.Sprintf("+1 (%03d) %03d-%04d", r.IntN(1000), r.IntN(1000), r.IntN(10000)),
		fmt.Sprintf("+44 20 %04d %04d", r.IntN(10000), r.IntN(10000)), fmt.Sprintf("%03d-%04d", r.IntN(1000), r.IntN(10000)),
		fmt.Sprintf("+353-1-%07d", r.IntN(10000000)), "ext. 123", "(555) 010-9999 x2")
}

func misc(r *rand.Rand) string {
	return oneOf(r, "192.168.1.1", "2001:db8::1", "10.0.0.0/8", "#ff00aa", "rgb(255, 0, 0)", "C:\\Users\\bob\\file.txt",
		"/var/log/syslog", "v1.2.3", ">=1.2 <2.0", "^1.0.0", "~2.3", "key=value; other=value2", "theme=dark; lang=en",
		"a,b,c", "1;2;3", "YWJjZGVmZw==", "sha256:9f86d08", "text/html; charset=utf-8", "en-US,en;q=0.9",
		"Mozilla/5.0 (X11; Linux x86_64)", "max-age=3600", "bytes=0-1023", "Bearer xyz", "10px 20px", "width: 100%;",
		"calc(100% - 2rem)", "f(x) = 2x + 1", "(a+b)*c", "x^2 + y^2 = z^2", "$1,000", "US$ 5", "€ 12,50", "£3.99",
		"n/a", "TBD", "N/A; see notes", "--verbose", "-rf", "--", "''", "a'", "it's", "'tis", "50's", "80's music",
		"O'Brien; D'Angelo", "1'", "12'", "x = 'y'", "'single' and \"double\"", "foo_bar--baz", "a--b", "/* note */",
		"SELECT", "union", "DROP", "null", "NULL", "true", "-1", "0", "or", "and", "1 or 2", "1 and 2", "3 or more")
}

// Package sqlguard is the sentinel's SQL injection detector: a value
// agent ([event.Inspector]) that says whether one value — a filter value,
// an RPC argument, a string in a JSON body — carries SQL injection.
//
// # How
//
// A value goes through four steps, each cheaper to skip than to run:
//
//  1. A prefilter. Values without SQL punctuation (quotes, ; ( ) = < > |
//     # % & $ + ~ ^ \, or -- /* :: @@ !=) or control and non-ASCII bytes,
//     without a statement keyword (UNION, SELECT, DROP…) and not starting
//     like a number with words after it, are clean. Most names, ids,
//     emails, numbers and plain words leave here.
//  2. Normalization, bounded: URL decoding up to three rounds (%27,
//     %2527, %u0027, + for a blank, IIS's dropped %), HTML character
//     references (&#39;), Unicode blanks and invisible characters
//     (NBSP, U+3000, zero-width), full-width ASCII. A value with + and no
//     blank is also read with blanks for its + (1'+or+1=1--).
//  3. Lexing in contexts. A lexer that follows PostgreSQL's rules
//     ('…' with doubled quotes, E'…' with backslashes, U&'…', $tag$…$tag$,
//     "…", nested /* */, --, numbers including 0x/0o/0b and 1_000,
//     operators, $1 parameters) reads the value as it would be read where
//     an application pastes it: as-is (a number or SQL text), as if it
//     began inside '…', inside "…", and inside a $$…$$ body — the idea
//     libinjection applies. It also knows MySQL and SQL Server habits
//     payloads carry everywhere: # comments, /*!50000 versioned */
//     comments, `backticks`, @@variables; and joins keywords split by
//     comments (UN/**/ION).
//  4. Rules over each reading's tokens, then a learned model for the
//     grey zone. Rules find what is certainly an attack: UNION SELECT;
//     a stacked statement (; then DROP, INSERT, UPDATE … SET, COPY … TO,
//     CREATE/ALTER ROLE, GRANT, SET ROLE, SET SESSION AUTHORIZATION,
//     CREATE EXTENSION, LOAD, DO $$…$$) that is followed by SQL rather
//     than prose; COPY … PROGRAM anywhere; calls of time, file, network
//     and configuration functions (pg_sleep, pg_read_file, pg_ls_dir,
//     lo_import, lo_export, lo_from_bytea, dblink, current_setting,
//     set_config, query_to_xml, SLEEP, BENCHMARK, xp_cmdshell…);
//     error-based casts (CAST((SELECT …) AS int), (…)::int); CHR()
//     chains; and, after a break-out, boolean conditions (tautologies,
//     comparisons with constants, IS NULL, subqueries, calls), comment
//     truncation, ORDER BY/GROUP BY probes, operator probes ('-').
//     Each rule gives a score and a short reason ("stacked statement:
//     DROP"). When the rules found only weak evidence (a score in
//     [0.3, 0.75)), a logistic regression over hashed n-grams of the
//     readings' token classes, their keywords and the rules' evidence
//     ([Model], trained offline by cmd/sentineltrain from the seeded
//     corpus of package corpus) may raise the score. The model never
//     lowers the rules' verdict and never speaks for a value the rules
//     saw nothing in: on text unlike its training corpus a linear model is
//     confidently wrong.
//
// # Trade-offs
//
// A value that closes a quote and then only comments out the rest
// ("admin'--", "hunter2'#") is reported: that is the classic login bypass,
// and a password ending that way is rare. "P@ss'w0rd;--!" is not (words
// sit between the quote and the comment). A full SQL statement as a value
// ("SELECT * FROM t; -- note") is not reported unless it is dangerous in
// itself (UNION SELECT, pg_sleep, COPY … PROGRAM, a stacked DROP…):
// people paste code into prose. Bare numeric conditions without a
// comparison ("1 or 2") are not reported; with one they are, even in
// arithmetic prose ("5 or 6 > 3" reads as "1 or 2>1"). A semicolon
// followed by a statement that parses ("…; delete from trash") is a
// stacked statement. A call of a generic function name followed by prose
// ("sleep(8) hours") is not reported; pg_sleep(…) always is. A value
// longer than [Config.MaxLength] is inspected in its head and its tail,
// not its middle; each reading looks at 384 tokens at most.
//
// # Concurrency and cost
//
// A [Guard] is safe for concurrent use; its working memory is pooled,
// so an inspection does not allocate. Inspect costs tens of nanoseconds
// for values the prefilter passes and a few microseconds for the others
// (make bench-sentinel).
package sqlguard

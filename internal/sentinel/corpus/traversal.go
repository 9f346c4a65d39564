package corpus

import (
	"math/rand/v2"
	"strings"
)

// The traversal grammar: a prefix (a directory, a parameter), a climb
// of 1 to 12 parent segments written in one of the encodings servers
// and filters disagree on, a target file, and a truncation suffix; or
// an absolute path to a sensitive file, a drive, a share or a wrapper.

var travDots = []string{
	"..", "..", "..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae",
	"%e0%80%ae%e0%80%ae", "%uff0e%uff0e", "%u002e%u002e", "....", "..;", "%c0%2e%c0%2e",
	"%25%32%65%25%32%65", "..%00", "&#46;&#46;", "．．",
}

var travSeps = []string{
	"/", "/", "\\", "%2f", "%5c", "%2F", "%5C", "%252f", "%255c", "%c0%af", "%c1%9c", "%u2215",
	"%e0%80%af", "//", "\\/", "/./", "%u2216", "／", "∕", "%25%32%66",
}

var travTargets = []string{
	"etc/passwd", "etc/shadow", "etc/hosts", "etc/group", "windows/win.ini", "boot.ini",
	"windows/system32/drivers/etc/hosts", "proc/self/environ", "proc/self/cmdline",
	"var/log/apache2/access.log", "root/.ssh/id_rsa", ".env", "config/database.yml",
	"WEB-INF/web.xml", ".git/config", "app/settings.py", "var/run/secrets/kubernetes.io/serviceaccount/token",
	"home/ubuntu/.bash_history", "usr/local/etc/php.ini", "inetpub/wwwroot/web.config",
	"wp-config.php", "secret.txt", "index.php", "",
}

var travPrefixes = []string{
	"", "", "", "images/", "/var/www/html/", "static/", "file=", "page=", "uploads/", "/download?file=",
	"/", "\\", "templates/", "./", "assets/css/", "C:\\inetpub\\wwwroot\\", "/static/", "lang=",
}

var travSuffixes = []string{"", "", "", "", "%00", "%00.png", "%00.jpg", "\x00.txt", "%2500.html", "?", "#", "%00.php"}

var travAbsolute = []string{
	"/etc/passwd", "/etc/shadow", "/etc/hosts", "/etc/issue", "/etc/mysql/my.cnf", "/proc/self/environ",
	"/proc/version", "/proc/1/cmdline", "/proc/self/fd/2", "/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/var/log/nginx/access.log", "/root/.ssh/authorized_keys", "/home/deploy/.ssh/id_rsa",
	"~/.ssh/id_rsa", "~/.aws/credentials", "C:\\Windows\\win.ini", "c:\\boot.ini", "C:/Windows/System32/config/SAM",
	"c:\\inetpub\\wwwroot\\web.config", "\\\\attacker\\share\\x.txt", "\\\\127.0.0.1\\c$\\windows\\win.ini",
	"\\\\?\\C:\\Windows\\win.ini", "file:///etc/passwd", "file://localhost/c:/windows/win.ini",
	"php://filter/convert.base64-encode/resource=index.php", "php://input", "phar://uploads/x.jpg/a",
	"zip://uploads/a.zip#shell.php", "expect://id", "//etc/passwd", "/./etc/./passwd",
	"///etc//passwd", "/dev/tcp/10.0.0.1/4444", "/sys/class/net/eth0/address", "/usr/local/apache2/conf/httpd.conf",
	"/.git/config", "/.env", "/WEB-INF/web.xml",
}

// Traversal returns n path traversal samples from the grammar above,
// the same for the same r state.
func Traversal(r *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	for range n {
		out = append(out, Sample{Value: travOne(r), Label: "traversal"})
	}
	return out
}

func travOne(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		v := oneOf(r, travAbsolute...)
		switch r.IntN(5) {
		case 0:
			v = percentSome(v, "/\\:.", r.IntN(2) == 0)
		case 1:
			v = oneOf(r, []string{"file=", "path=", "", "doc="}...) + v + oneOf(r, travSuffixes...)
		}
		return v
	}
	dots := oneOf(r, travDots...)
	sep := oneOf(r, travSeps...)
	if dots == "...." && r.IntN(2) == 0 {
		sep = oneOf(r, []string{"//", "\\\\", "/\\", "\\/"}...)
	}
	depth := 1 + r.IntN(12)
	var b strings.Builder
	b.WriteString(oneOf(r, travPrefixes...))
	for range depth {
		d, s := dots, sep
		if r.IntN(8) == 0 { // mixed forms within one climb
			d, s = oneOf(r, travDots...), oneOf(r, travSeps...)
		}
		b.WriteString(d)
		b.WriteString(s)
	}
	target := oneOf(r, travTargets...)
	if sep == "\\" || sep == "%5c" || strings.Contains(sep, "5c") {
		target = strings.ReplaceAll(target, "/", "\\")
	}
	if r.IntN(4) == 0 {
		target = percentSome(target, "/.", r.IntN(2) == 0)
	}
	b.WriteString(target)
	b.WriteString(oneOf(r, travSuffixes...))
	v := b.String()
	if r.IntN(6) == 0 {
		v = randomCase(r, v)
	}
	return v
}

// Benign paths: the hard benign cases of pathguard's domain.

var pathDirs = []string{
	"docs", "avatars", "uploads/2024/05", "a/b", "projects/mobo", "public/css", "user-42", "My Documents",
	"invoices", "photos/summer trip", "src/main", "assets/img", ".well-known", "reports/q1", "données",
	"backups", "node_modules/.bin", ".config/app", "var-data", "etc-notes", "proc-docs", "tmp-uploads",
}

var pathFiles = []string{
	"report-2024.pdf", "user 1.png", "c.txt", "logo.png", "archive.tar.gz", ".env.example", ".gitignore",
	"photo.final.v2.jpg", "README.md", "index.html", "data.json", "notes..txt", "résumé.pdf", "image (1).png",
	"a.b.c.d", "backup_2024-01-01.sql.gz", "passwd-policy.md", "web-config-guide.pdf", "hosts.csv",
	"security.txt", "file%20name.pdf", "win.ini.bak.txt",
}

var pathProse = []string{
	"wait...", "and so on...", "Hmm.. not sure", "So.. what now?", "The end..", "Loading...",
	"to be continued ...", "... and then", "..", "a..b", "range 1..10", "for i in 0..n", "[1..5]",
	"version %v", "v%v", "%v-beta", "%d/%d/%d", "%d/%d", "and/or", "yes/no", "24/7", "TCP/IP",
	"I/O", "read/write", "50/50", "3/4 cup", "https://example.com/%p", "http://localhost:8080/%p",
	"/api/v1/%p", "/%p", "mailto:a@example.com", "e.g. this", "i.e. that", "Dr. Who", "3.14159",
	"%d%%", "%d%% off", "hello%%20world", "~/Documents", "~user", "x\\y", "feature/%p", "origin/main",
	"time %d:%d", "key:value", "C# and .NET", "192.168.%d.%d", "::1", "who... me?", "so...yeah",
	"/search?q=a%%2Fb", "/users/%d/avatar.png", "/files/%p", "/etc-notes/readme.txt", "/variables",
	"/library/books", "/system/status", "/home", "/settings/profile", "/blog/2024/05/hello",
	"https://example.com/a/b/c?x=1&y=2", "ftp.example.com/pub", "www.example.com", "...", "!!!...",
}

// BenignPaths returns n benign values that look like relative paths,
// storage keys, routes, versions, dates, fractions and prose with dots:
// the values pathguard must let through.
func BenignPaths(r *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	for range n {
		var v string
		switch r.IntN(3) {
		case 0:
			v = oneOf(r, pathDirs...) + "/" + oneOf(r, pathFiles...)
		case 1:
			v = oneOf(r, pathFiles...)
			if r.IntN(3) == 0 {
				v = oneOf(r, pathDirs...) + "/" + oneOf(r, pathDirs...) + "/" + v
			}
		default:
			v = fillPath(r, oneOf(r, pathProse...))
		}
		out = append(out, Sample{Value: v, Label: "benign"})
	}
	return out
}

func fillPath(r *rand.Rand, t string) string {
	return expand(t, func(verb byte) (string, bool) {
		switch verb {
		case 'v':
			return oneOf(r, "1.2.3", "10.4.1-rc.2", "2.0", "0.9.12", "1.2.3+build.5"), true
		case 'd':
			return oneOf(r, "1", "12", "2024", "05", "31", "7"), true
		case 'p':
			return oneOf(r, "docs/guide", "a/b/c", "users/42", "files/report.pdf", "img/logo.png"), true
		}
		return "", false
	})
}

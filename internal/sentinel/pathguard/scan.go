package pathguard

import "bytes"

// Scores: how sure a rule is.
const (
	scoreDotDot    = 0.95
	scoreEncoded   = 0.98
	scoreSensitive = 0.9
	scoreAbsolute  = 0.8
	scoreNull      = 0.85
	scoreRedirect  = 0.85
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isSep(c byte) bool { return c == '/' || c == '\\' }

// isWord reports the bytes that, before a dot pair, make it part of a
// name ("wait..", "v1..2") rather than a path segment.
func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c >= 0x80
}

// scan applies the rules to s, decoded and lowered; how says which
// encodings were undone to reach it.
func scan(s []byte, how decoded) (string, float64) {
	if r := dotDot(s); r {
		switch {
		case how&decOverlong != 0:
			return "overlong ../", scoreEncoded
		case how&decPercent != 0:
			return "encoded ../", scoreEncoded
		}
		return "../ sequence", scoreDotDot
	}
	if nullCut(s) {
		return "null byte", scoreNull
	}
	if r, sc := absolute(s); r != "" {
		return r, sc
	}
	for _, p := range probes {
		k := bytes.Index(s, []byte(p))
		if k < 0 {
			continue
		}
		e := k + len(p)
		if (k == 0 || !isWord(s[k-1])) && (e == len(s) || !isWord(s[e]) && s[e] != '.') {
			return "sensitive file", scoreSensitive
		}
	}
	return "", 0
}

// dotDot finds a parent-directory segment: two or more dots that start
// the value or follow a non-name byte, and are followed by a separator,
// by ";" and a separator (Tomcat's path parameter), or by the end after
// a separator. "....//" counts: a filter that strips "../" once leaves
// "../". A bare ".." or an ellipsis in prose does not.
func dotDot(s []byte) bool {
	for i := 0; i+1 < len(s); {
		k := bytes.Index(s[i:], []byte(".."))
		if k < 0 {
			return false
		}
		st := i + k
		e := st
		for e < len(s) && s[e] == '.' {
			e++
		}
		i = e
		if st > 0 && (isWord(s[st-1]) || s[st-1] == '.') {
			// name../ after a separator: nginx's alias off-by-slash
			// (/static../.git/config).
			if e-st == 2 && e < len(s) && isSep(s[e]) && bytes.ContainsAny(s[:st], "/\\") {
				return true
			}
			continue
		}
		// Dots, then spaces or NULs that a lenient server drops.
		r := e
		for r < len(s) && (s[r] == 0 || s[r] == ';' && r == e) {
			r++
		}
		switch {
		case r < len(s) && isSep(s[r]):
			return true
		case r == len(s) && e-st == 2 && st > 0 && isSep(s[st-1]):
			return true // a trailing "/..", not Go's "./..." pattern
		}
	}
	return false
}

// nullCut finds a NUL byte where it truncates a path: before an
// extension (shell.php%00.jpg), a separator, or at the end.
func nullCut(s []byte) bool {
	for off := 0; ; {
		k := bytes.IndexByte(s[off:], 0)
		if k < 0 {
			return false
		}
		at := off + k
		off = at + 1
		next := at + 1
		for next < len(s) && s[next] == 0 {
			next++
		}
		if next == len(s) || s[next] == '/' || s[next] == '.' || s[next] == '?' || s[next] == '#' ||
			s[next] == '\\' && (next+1 == len(s) || s[next+1] != 'x' && s[next+1] != 'u') {
			return true
		}
	}
}

// sensitiveRoots are absolute directories a value meant for a storage
// key or upload name never names.
var sensitiveRoots = []string{
	"/etc/", "/proc/", "/sys/", "/dev/", "/root/", "/var/", "/boot/", "/usr/local/etc/",
	"/private/etc/", "/private/var/", "/windows/", "/winnt/", "/inetpub/",
	"/system32/", "/programdata/", "/documents and settings/",
	"/.ssh/", "/.aws/", "/.git/", "/.env", "/.htpasswd", "/.htaccess", "/web-inf/",
	"/meta-inf/", "/.kube/", "/.docker/", "/.bash_history", "/.npmrc",
}

// sensitiveDirs are directories that, anywhere in an absolute path,
// betray a probe (/home/alice/.ssh/…).
var sensitiveDirs = []string{"/.ssh/", "/.aws/", "/.git/", "/.gnupg/", "/.kube/", "/.docker/", "/web-inf/", "/meta-inf/", "/system32/"}

// sensitiveFiles are files that, under any directory of an absolute
// path, betray a probe.
var sensitiveFiles = []string{
	"passwd", "shadow", "win.ini", "boot.ini", "system.ini", "id_rsa", "id_dsa", "id_ecdsa",
	"id_ed25519", "authorized_keys", "known_hosts", ".bash_history", ".htpasswd", ".htaccess",
	"web.config", "web.xml", "wp-config.php", "php.ini", "httpd.conf", "environ", "cmdline",
	"credentials", "sam", "config.php", ".env", "access.log", "error.log", "access_log", "error_log",
	"my.cnf", "my.ini", "apache2.conf", "nginx.conf", ".bashrc", ".profile", "master.passwd",
	"hosts", "issue", "group", "sudoers", "crontab", "localstart.asp", "repair", "ntuser.dat",
	"unattend.xml", "sysprep.inf", "autoexec.bat", "pagefile.sys", "hiberfil.sys",
}

// probes are paths that name a system secret wherever they appear
// (a command's argument, after a newline or a parameter).
var probes = []string{
	"etc/passwd", "etc/shadow", "etc/master.passwd", "win.ini", "boot.ini",
	".ssh/id_rsa", ".htpasswd", "web-inf/web.xml", "system32/config/sam",
}

// wrappers are URL schemes that read local files or code (PHP's stream
// wrappers, file:, jar:).
var wrappers = []string{
	"file:", "php://", "phar://", "zip://", "expect://", "glob://", "data://", "jar:",
	"compress.zlib://", "compress.bzip2://", "zlib:", "netdoc:", "gopher://", "dict://",
}

// absolute finds an absolute path to a sensitive place: a system root
// (/etc/passwd, /proc/self/environ), a drive (C:\), a UNC share
// (\\server\share) or a file-reading URL scheme, at the start of the
// value or after '=' (a query or form value inside the value).
func absolute(s []byte) (string, float64) {
	for start := 0; start < len(s); {
		i := start
		for i < len(s) && (s[i] <= ' ' || s[i] == '"' || s[i] == '\'') {
			i++
		}
		if r, sc := absoluteAt(s[i:]); r != "" {
			return r, sc
		}
		k := bytes.IndexByte(s[start:], '=')
		if k < 0 {
			break
		}
		start += k + 1
	}
	return "", 0
}

func absoluteAt(s []byte) (string, float64) {
	if len(s) < 2 {
		return "", 0
	}
	for _, w := range wrappers {
		if bytes.HasPrefix(s, []byte(w)) && len(s) > len(w) && !isSpace(s[len(w)]) {
			return "file URL", scoreSensitive
		}
	}
	// A drive: c:\ or c:/ to the root itself, a system directory or a
	// sensitive file (c:\windows\win.ini, c:\inetpub\…\web.config); a
	// user's document (c:\users\alice\report.docx) is not a probe.
	if 'a' <= s[0] && s[0] <= 'z' && s[1] == ':' && len(s) > 2 && isSep(s[2]) {
		rest := s[2:]
		if k := bytes.IndexAny(rest, " \t\n&;"); k >= 0 {
			rest = rest[:k]
		}
		if len(bytes.Trim(rest, "/\\")) == 0 || sensitive(rest) || windowsRoot(rest) {
			return "windows drive path", scoreAbsolute
		}
		return "", 0
	}
	if isSep(s[0]) && isSep(s[1]) {
		// \\server\share, \\?\c:\, \\.\pipe; //server/share is a
		// protocol-relative URL, judged only for redirects.
		if (s[0] == '\\' || s[1] == '\\') && len(s) > 2 && (isWord(s[2]) || (s[2] == '?' || s[2] == '.') && len(s) > 3 && isSep(s[3])) {
			return "unc path", scoreAbsolute
		}
		if sensitive(s[1:]) {
			return "sensitive absolute path", scoreSensitive
		}
		return "", 0
	}
	if s[0] == '~' && (len(s) == 1 || isSep(s[1]) || 'a' <= s[1] && s[1] <= 'z') {
		if sensitive(s[1:]) || bytes.Contains(s, []byte("/.")) {
			return "home directory path", scoreSensitive
		}
		return "", 0
	}
	if isSep(s[0]) && sensitive(s) {
		return "sensitive absolute path", scoreSensitive
	}
	return "", 0
}

// windowsRoots are the system and server directories under a drive.
var windowsRoots = []string{
	"/windows", "/winnt", "/inetpub", "/xampp", "/wamp", "/apache", "/php", "/mysql", "/boot",
	"/system volume information", "/$recycle.bin", "/programdata", "/documents and settings",
	"/users/administrator", "/users/default", "/users/public",
}

// windowsRoot reports a drive-relative path (after "c:") into a system
// or server directory.
func windowsRoot(p []byte) bool {
	var buf [64]byte
	h := buf[:0]
	for i := 0; i < len(p) && len(h) < cap(h); i++ {
		c := p[i]
		if c == '\\' {
			c = '/'
		}
		if c == '/' && len(h) > 0 && h[len(h)-1] == '/' {
			continue
		}
		h = append(h, c)
	}
	for _, r := range windowsRoots {
		if bytes.HasPrefix(h, []byte(r)) && (len(h) == len(r) || h[len(r)] == '/' || h[len(r)] == '.') {
			return true
		}
	}
	return false
}

// sensitive reports whether the rooted path p starts at a sensitive
// root or ends in a sensitive file.
func sensitive(p []byte) bool {
	// The path ends where a parameter or a word ends; bounding it keeps
	// the scan of a value with many '=' linear.
	if k := bytes.IndexAny(p, " \t\n&=;"); k >= 0 {
		p = p[:k]
	}
	p = p[:min(len(p), 512)]
	var buf [64]byte
	// Compare with '/' as the only separator, and runs of them folded
	// (///etc//passwd), within a bounded head.
	h := buf[:0]
	for i := 0; i < len(p) && len(h) < cap(h); i++ {
		c := p[i]
		if c == '\\' {
			c = '/'
		}
		last := len(h) > 0 && h[len(h)-1] == '/'
		if c == '/' && last {
			continue
		}
		if c == '.' && last && (i+1 == len(p) || isSep(p[i+1])) {
			continue // a "/./" segment
		}
		h = append(h, c)
	}
	for _, r := range sensitiveRoots {
		if bytes.HasPrefix(h, []byte(r)) {
			return true
		}
	}
	if bytes.Equal(h, []byte("/etc")) || bytes.Equal(h, []byte("/proc")) {
		return true // the bare directory; /dev, /var, /root may be routes
	}
	for _, d := range sensitiveDirs {
		if bytes.Contains(h, []byte(d)) {
			return true
		}
	}
	base := p
	if k := bytes.IndexAny(base, "?#"); k >= 0 {
		base = base[:k]
	}
	if k := bytes.LastIndexAny(base, "/\\"); k >= 0 {
		base = base[k+1:]
	}
	for _, f := range sensitiveFiles {
		if bytes.Equal(base, []byte(f)) {
			return true
		}
	}
	return false
}

// scanRedirect finds the open-redirect forms of a redirect target: a
// protocol-relative or backslashed authority, a special scheme without
// its slashes, a script URL, an absolute URL with credentials or to a
// host not allowed.
func scanRedirect(s []byte, hosts []string) (string, float64) {
	var buf [256]byte
	// Browsers drop tabs and newlines anywhere in a URL and leading
	// spaces and control characters.
	n := 0
	for i := 0; i < len(s) && n < len(buf); i++ {
		c := s[i]
		if c == '\t' || c == '\n' || c == '\r' || n == 0 && c <= ' ' {
			continue
		}
		buf[n] = c
		n++
	}
	u := buf[:n]
	if len(u) >= 2 && isSep(u[0]) && isSep(u[1]) {
		return "protocol-relative redirect", scoreRedirect
	}
	c := 0
	for c < len(u) && ('a' <= u[c] && u[c] <= 'z' || c > 0 && ('0' <= u[c] && u[c] <= '9' || u[c] == '+' || u[c] == '-' || u[c] == '.')) {
		c++
	}
	if c == 0 || c >= len(u) || u[c] != ':' {
		return "", 0
	}
	scheme := string(u[:c])
	rest := u[c+1:]
	switch scheme {
	case "javascript", "vbscript", "data":
		return "script URL redirect", scoreRedirect
	case "http", "https", "ftp", "ws", "wss":
	default:
		return "", 0
	}
	if len(rest) < 2 || !isSep(rest[0]) || !isSep(rest[1]) || rest[0] == '\\' || rest[1] == '\\' {
		return "scheme without authority slashes", scoreRedirect
	}
	auth := rest[2:]
	if k := bytes.IndexAny(auth, "/\\?#"); k >= 0 {
		auth = auth[:k]
	}
	if k := bytes.LastIndexByte(auth, '@'); k >= 0 {
		return "credentials in redirect URL", scoreRedirect
	}
	if len(hosts) == 0 {
		return "", 0
	}
	host := auth
	if k := bytes.LastIndexByte(host, ':'); k >= 0 && bytes.IndexByte(host, ']') < k {
		host = host[:k]
	}
	host = bytes.TrimSuffix(host, []byte("."))
	for _, h := range hosts {
		if bytes.EqualFold(host, []byte(h)) {
			return "", 0
		}
	}
	return "redirect to a foreign host", scoreRedirect
}

// Package pathguard is the sentinel's value agent for path traversal:
// [Guard.Inspect] says whether one value that may reach a file path, a
// storage object key or a redirect climbs out of its directory, names a
// sensitive absolute path or truncates a name with a NUL byte. Findings
// have Agent "pathguard" and Label "traversal". [Guard.InspectRedirect]
// also judges the open-redirect forms of a redirect target; Inspect
// stays context-free.
//
// # Approach
//
// A prefilter passes values without a separator, '%', ':', '&', '~',
// NUL or a dot pair: they exit at once without allocating.
//
// Otherwise the value is lowered and decoded in at most six passes:
// %XX and %uXXXX escapes (so double and triple encoding), \xXX and
// \uXXXX escapes of dots and slashes, numeric character references,
// overlong UTF-8 (%c0%ae, %c0%af, %e0%80%ae, and the lenient %c0%2e
// some decoders accept) and look-alike dots and slashes (full-width
// ．／＼, U+2215 ∕). The reason says which encoding hid the climb
// ("encoded ../", "overlong ../").
//
// The decoded text is then checked, with '/' and '\' both separators:
//   - a dot-dot segment: two or more dots at the start or after a
//     non-name byte, followed by a separator or ";/" (Tomcat), or "/.."
//     at the end; so "....//" (a filter stripping "../" once leaves
//     "../") counts, while "wait...", "1..10", "a..b", "./..." and a
//     bare ".." do not;
//   - a NUL byte that cuts a path (before an extension, a separator or
//     the end: shell.php%00.jpg);
//   - an absolute path, at the start or after '=', to a system root
//     (/etc, /proc, /sys, /dev, /root, /var, /boot), a sensitive file
//     (passwd, win.ini, id_rsa, .htpasswd, web.xml, access.log …) or
//     directory (.ssh, .git, WEB-INF), a drive's root or system
//     directories (C:\, C:\Windows, C:\inetpub, C:\xampp; not a user's
//     C:\Users\alice\report.docx), a UNC share (\\server\share,
//     \\?\), a file-reading scheme (file:, php://, phar://, zip://,
//     expect://);
//   - a probe of /etc/passwd, win.ini, boot.ini, .ssh/id_rsa anywhere.
//
// Relative paths (docs/report-2024.pdf, avatars/user 1.png), dotted
// names (archive.tar.gz, .env.example, .gitignore), versions, dates,
// fractions, routes (/api/v1/users) and prose ellipses are benign.
// /home/… and /tmp/… alone are not flagged: they are common in
// legitimate values and the traversal would need a climb or a
// sensitive file to matter.
//
// For redirects, InspectRedirect adds: a target starting with two
// separators in any mix (//evil.com, /\evil.com, \/evil.com, with tabs
// and newlines dropped as browsers do), a special scheme without its
// two slashes (https:evil.com, http:/evil.com, https:\\evil.com), a
// script scheme, credentials in the authority (https://good@evil), and,
// when [Config.AllowedHosts] is set, an absolute URL to another host.
//
// Concurrency: a Guard's methods are safe for concurrent use; the
// counters are atomics and the decoding buffers come from a sync.Pool.
package pathguard

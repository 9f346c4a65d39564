// Package xssguard is the sentinel's value agent for script injection:
// [Guard.Inspect] says whether one value (a filter value, an RPC
// argument, a string in a JSON body, a GraphQL argument) that may reach
// storage and later HTML carries script. Findings have Agent "xssguard"
// and Label "xss".
//
// # Approach
//
// A value first meets a prefilter: without one of < > & % \ : = { ( `
// + NUL or a non-ASCII byte it cannot hold markup, a script URL or an
// encoding of either, and Inspect returns at once without allocating.
//
// Otherwise the value is lowered and decoded in at most six passes,
// each undoing one layer of percent escapes (%XX, %uXXXX), HTML
// character references (named, decimal, hex, with or without ';'),
// JavaScript escapes (\xXX, \uXXXX, \u{X}, \0), UTF-7 markup (+ADw-),
// overlong UTF-8 (%C0%BC), full-width forms (＜), C comments and NUL
// bytes, until a pass changes nothing: double URL encoding inside
// entities is read as the browser would finally see it.
//
// The decoded text is scanned the way an HTML tokenizer reads it (the
// ideas of libinjection's XSS detector and of the OWASP CRS 941 rules,
// written anew): a '<' and a letter open a tag; attributes are split on
// whitespace and '/', values quoted or not; tags need not be closed.
// A finding is
//   - a script tag with attributes, script-like content or a closing
//     tag ("don't use <script> tags" in prose is not one), or an
//     iframe, frame, object, embed, applet, portal or layer;
//   - any on*= attribute inside a tag, read strictly and loosely
//     (<img src=x/onerror=…>);
//   - a javascript:, vbscript:, livescript: or data:text/html URL, with
//     tabs and newlines inside the scheme, in a URL attribute or
//     anywhere (markdown links), when script follows the colon;
//   - srcdoc, meta refresh, base href, a stylesheet or import link, style with
//     expression(), url(javascript:), behavior or -moz-binding (CSS
//     escapes undone), framework attributes (ng-*, v-*, @…) with calls;
//   - template expressions ({{…}}, ${…}, #{…}, &{…}) that reach a
//     constructor or a sink, and the {{7*7}} evaluation probe;
//   - event handlers outside a visible tag after a quote
//     (" onmouseover="alert(1)) and JavaScript string break-outs
//     (';alert(1)//, '-alert(1)-');
//   - a bare proof-of-concept call (alert(1), prompt(document.domain);
//     not alert('Saved!') or prompt()), cookie theft, JSFuck runs,
//     server-side includes.
//
// Harmless markup is benign: <b>, <i>, <br>, <p>, <a href="https://…">,
// <img src="x.png">, e-mail addresses in angle brackets, prose with
// < and >, generics (List<String>), and prose naming events ("the
// onload event") or quoting a scheme ("`javascript:` URLs").
//
// Concurrency: a Guard's methods are safe for concurrent use; the
// counters are atomics and the decoding buffers come from a sync.Pool.
package xssguard

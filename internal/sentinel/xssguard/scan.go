package xssguard

import "bytes"

// Scores: how sure a rule is. A tag or attribute that runs script in
// every browser is near 1; a break-out seen without the markup around
// it is lower.
const (
	scoreScript   = 0.99
	scoreStrong   = 0.95
	scoreMarkup   = 0.9
	scoreBreakout = 0.8
	scoreJS       = 0.7
)

// scan applies the rules to s, decoded and lowered; it returns the
// first rule's reason and score, or "".
func scan(s []byte) (string, float64) {
	if r, sc := scanTags(s); r != "" {
		return r, sc
	}
	if r, sc := scanSchemes(s); r != "" {
		return r, sc
	}
	if bytes.Contains(s, []byte("<!--#exec")) || bytes.Contains(s, []byte("<!--#include")) {
		return "server-side include", scoreMarkup
	}
	if r, sc := scanCSS(s); r != "" {
		return r, sc
	}
	if r, sc := scanTemplates(s); r != "" {
		return r, sc
	}
	if r, sc := scanHandlers(s); r != "" {
		return r, sc
	}
	if r, sc := scanJS(s); r != "" {
		return r, sc
	}
	return "", 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' }

func isIdent(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// scanTags walks the tags of s as an HTML tokenizer would: a '<'
// followed by a letter opens a tag whose name runs to whitespace, '/'
// or '>'; attributes are separated by whitespace or '/', their values
// quoted or not. Tags need not be closed: a value may be cut, and a
// browser waits for the '>'.
func scanTags(s []byte) (string, float64) {
	for i := 0; i < len(s); {
		k := bytes.IndexByte(s[i:], '<')
		if k < 0 {
			return "", 0
		}
		i += k + 1
		j := i
		closing := false
		if j < len(s) && s[j] == '/' {
			closing = true
			j++
		}
		if j >= len(s) || !isAlpha(s[j]) {
			continue
		}
		e := j
		// As in HTML, the name runs to whitespace, '/' or '>' (<a"/onclick=…>
		// is an element named a"); <3 is text, <name@host> a harmless tag.
		for e < len(s) && !isSpace(s[e]) && s[e] != '/' && s[e] != '>' && s[e] != '<' {
			e++
		}
		name := s[j:e]
		if c := bytes.LastIndexByte(name, ':'); c >= 0 {
			name = name[c+1:] // a namespaced element: <x:script>
		}
		tag := string(name) // no allocation: used in comparisons only
		if closing {
			if tag == "script" && sinkAnywhere(s) {
				return "script tag", scoreMarkup
			}
			continue
		}
		switch tag {
		case "script":
			if scriptRuns(s[e:]) {
				return "script tag", scoreScript
			}
		case "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "layer", "ilayer":
			return "embedded content tag", scoreMarkup
		case "xss":
			return "xss probe tag", scoreBreakout
		case "style":
			if cssDanger(s[e:]) {
				return "style tag", scoreMarkup
			}
		}
		r, sc, end := scanAttrs(s, e, tag)
		if r != "" {
			return r, sc
		}
		if tag == "link" {
			// A stylesheet or an HTML import loads the attacker's code; an
			// icon does not.
			t := s[e:max(e, end)]
			if bytes.Contains(t, []byte("href")) && (bytes.Contains(t, []byte("stylesheet")) || bytes.Contains(t, []byte("import"))) {
				return "link tag", scoreBreakout
			}
		}
		// A looser look at the same tag: an on*= after any separator,
		// even where the tokenizer would read it as part of a value
		// (<img src=x/onerror=…>): filters and other parsers disagree.
		if looseHandler(s[e:max(e, end)]) {
			return "event handler attribute", scoreStrong
		}
		if end > i {
			i = end
		}
	}
	return "", 0
}

// looseHandler finds [sep]on<letters>[spaces]= in a tag's text.
func looseHandler(t []byte) bool {
	for i := 1; i+3 < len(t); i++ {
		if t[i] != 'o' || t[i+1] != 'n' || !isAlpha(t[i+2]) {
			continue
		}
		p := t[i-1]
		if !isSpace(p) && p != '/' && p != '"' && p != '\'' && p != '`' && p != ';' {
			continue
		}
		e := i + 2
		for e < len(t) && isAlpha(t[e]) {
			e++
		}
		for e < len(t) && (isSpace(t[e]) || t[e] == '/') {
			e++
		}
		if e < len(t) && t[e] == '=' {
			return true
		}
	}
	return false
}

// scriptRuns reports whether an opening script tag whose name ends
// at s[0] carries script: attributes, a closing tag, nothing after it
// (a payload fragment) or script-like text. Prose that merely names the
// tag ("don't use <script> tags inline") does not.
func scriptRuns(s []byte) bool {
	i := 0
	for i < len(s) && s[i] != '>' {
		switch s[i] {
		case '=':
			return true // an attribute with a value: src=, type=
		case '<':
			return false
		}
		i++
	}
	if i >= len(s) {
		// A cut tag: "<script" or "<script async" ends the value; prose
		// goes on with words ("<script and <style are…").
		return len(bytes.Fields(s)) <= 1
	}
	body := s[i+1:]
	if len(bytes.TrimSpace(body)) == 0 || bytes.Contains(body, []byte("</script")) {
		return true
	}
	body = body[:min(len(body), 256)]
	return bytes.ContainsAny(body, "(`=[{;\\'\"")
}

// scanAttrs reads the attributes of a tag named tag starting at p; it
// returns a finding or where the tag ended.
func scanAttrs(s []byte, p int, tag string) (string, float64, int) {
	for n := 0; p < len(s) && n < 128; n++ {
		for p < len(s) && (isSpace(s[p]) || s[p] == '/') {
			p++
		}
		if p >= len(s) {
			return "", 0, p
		}
		switch s[p] {
		case '>':
			return "", 0, p + 1
		case '<':
			return "", 0, p
		}
		ns := p
		p++ // the first character may be anything, '=' included
		for p < len(s) && !isSpace(s[p]) && s[p] != '/' && s[p] != '>' && s[p] != '=' && s[p] != '<' {
			p++
		}
		name := s[ns:p]
		q := p
		for q < len(s) && isSpace(s[q]) {
			q++
		}
		if q >= len(s) || s[q] != '=' {
			if tag == "base" || tag == "meta" || tag == "link" {
				continue
			}
			continue
		}
		q++
		for q < len(s) && isSpace(s[q]) {
			q++
		}
		var val []byte
		if q < len(s) && (s[q] == '"' || s[q] == '\'') {
			end := bytes.IndexByte(s[q+1:], s[q])
			if end < 0 {
				val, p = s[q+1:], len(s)
			} else {
				val, p = s[q+1:q+1+end], q+2+end
			}
		} else {
			vs := q
			for q < len(s) && !isSpace(s[q]) && s[q] != '>' {
				q++
			}
			val, p = s[vs:q], q
		}
		if r, sc := checkAttr(tag, name, val); r != "" {
			return r, sc, p
		}
	}
	return "", 0, p
}

// urlAttrs are the attributes whose value a browser loads or navigates to.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true,
	"xlink:href": true, "background": true, "lowsrc": true, "dynsrc": true,
	"poster": true, "code": true, "codebase": true, "values": true, "to": true,
	"from": true, "by": true, "srcset": true, "ping": true, "cite": true,
	"longdesc": true, "archive": true, "classid": true, "content": true,
	"folder": true, "xmlns": true, "icon": true, "manifest": true, "datasrc": true,
}

func checkAttr(tag string, name, val []byte) (string, float64) {
	if len(name) > 2 && name[0] == 'o' && name[1] == 'n' && isAlpha(name[2]) {
		return "event handler attribute", scoreStrong
	}
	n := string(name)
	switch {
	case urlAttrs[n]:
		if r := schemeAt(val); r != "" {
			return r, scoreStrong
		}
		if obfuscatedHost(val) {
			return "obfuscated URL host", scoreBreakout
		}
		switch {
		case tag == "base" && n == "href":
			return "base href", scoreMarkup
		case tag == "meta" && n == "content" && bytes.Contains(val, []byte("url")):
			return "meta refresh", scoreMarkup
		}
	case n == "srcdoc":
		return "srcdoc attribute", scoreMarkup
	case n == "dataformatas" && bytes.Contains(val, []byte("html")):
		return "data binding attribute", scoreMarkup
	case n == "style":
		if cssDanger(val) {
			return "style expression", scoreStrong
		}
	case n == "http-equiv":
		if bytes.Contains(val, []byte("refresh")) || bytes.Contains(val, []byte("set-cookie")) || bytes.Equal(bytes.TrimSpace(val), []byte("link")) {
			return "meta refresh", scoreMarkup
		}
	case bytes.HasPrefix(name, []byte("ng-")), bytes.HasPrefix(name, []byte("v-")),
		bytes.HasPrefix(name, []byte("x-on")), bytes.HasPrefix(name, []byte("x-init")),
		bytes.HasPrefix(name, []byte("hx-on")), name[0] == '@':
		if bytes.IndexByte(val, '(') >= 0 || bytes.Contains(val, []byte("constructor")) || bytes.Contains(val, []byte("$event")) {
			return "framework handler attribute", scoreMarkup
		}
	}
	return "", 0
}

// schemeAt reports a script-running URL at the start of v (leading
// spaces and control characters skipped, as URL parsers do).
func schemeAt(v []byte) string {
	i := 0
	for i < len(v) && (v[i] <= ' ') {
		i++
	}
	if _, r := matchScheme(v, i); r != "" {
		return r
	}
	return ""
}

// matchWord matches w at s[i:], allowing the tab, CR and LF that URL
// parsers remove; it returns the index after the match or -1.
func matchWord(s []byte, i int, w string) int {
	for k := 0; k < len(w); k++ {
		for i < len(s) && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i >= len(s) || s[i] != w[k] {
			return -1
		}
		i++
	}
	return i
}

// dataTypes are the media types that make a data: URL a document or a script.
var dataTypes = []string{
	"text/html", "application/xhtml", "text/javascript", "application/javascript",
	"application/x-javascript", "text/ecmascript", "text/vbscript", "text/xml", "application/xml",
	"image/svg+xml;base64",
}

// matchScheme matches a script URL scheme at s[i:] (colon included); it
// returns the index after the colon and a reason, or "".
func matchScheme(s []byte, i int) (int, string) {
	if i >= len(s) {
		return 0, ""
	}
	switch s[i] {
	case 'j', 'v', 'l', 'm':
		for _, w := range [...]string{"javascript", "vbscript", "livescript", "mocha"} {
			if w[0] != s[i] {
				continue
			}
			e := matchWord(s, i, w)
			if e < 0 {
				continue
			}
			for e < len(s) && (s[e] == '\t' || s[e] == '\n' || s[e] == '\r') {
				e++
			}
			if e < len(s) && s[e] == ':' {
				return e + 1, "javascript URL"
			}
		}
	case 'd':
		e := matchWord(s, i, "data")
		if e < 0 {
			return 0, ""
		}
		for e < len(s) && isSpace(s[e]) {
			e++
		}
		if e >= len(s) || s[e] != ':' {
			return 0, ""
		}
		e++
		for e < len(s) && (s[e] == '\t' || s[e] == '\n' || s[e] == '\r') {
			e++
		}
		for _, t := range dataTypes {
			if bytes.HasPrefix(s[e:], []byte(t)) {
				return e + len(t), "data URL"
			}
		}
		if e < len(s) && s[e] == ',' && jsCall(s[e+1:]) {
			return e + 1, "data URL"
		}
	}
	return 0, ""
}

// scanSchemes finds script URLs anywhere in s ("[x](javascript:…)", a
// break-out into an href, a redirect parameter). A scheme name followed
// by a space ("JavaScript: The Good Parts") counts only when a call
// follows.
func scanSchemes(s []byte) (string, float64) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 'j' && c != 'v' && c != 'l' && c != 'm' && c != 'd' {
			continue
		}
		if i > 0 && (isAlpha(s[i-1]) || '0' <= s[i-1] && s[i-1] <= '9') {
			continue
		}
		e, r := matchScheme(s, i)
		if r == "" {
			continue
		}
		if r == "data URL" {
			return r, scoreStrong
		}
		if e < len(s) && schemeBody(s[e:]) {
			return r, scoreStrong
		}
		if jsCall(s[e:]) {
			return r, scoreStrong
		}
	}
	return "", 0
}

// schemeBody reports whether s, after a script scheme's colon, starts
// like script rather than like prose quoting the scheme
// ("`javascript:` URLs", "javascript:...").
func schemeBody(s []byte) bool {
	c := s[0]
	switch {
	case isIdent(c), c == '/', c == '(', c == '[', c == '{', c == '!', c == '+', c == '-', c == '~', c == '\\', c == '%', c == '&', c == ';':
		return true
	case c == '\'' || c == '"' || c == '`':
		return len(s) > 1 && !isSpace(s[1]) && s[1] != c && s[1] != ')' && s[1] != '.'
	}
	return false
}

// jsCall reports whether s starts, after spaces, with an identifier
// (dots allowed) called at once: "alert(1)", "alert`1`".
func jsCall(s []byte) bool {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || !isAlpha(s[i]) && s[i] != '_' && s[i] != '$' {
		return false
	}
	for i < len(s) && (isIdent(s[i]) || s[i] == '.') {
		i++
	}
	return i < len(s) && (s[i] == '(' || s[i] == '`')
}

// cssDanger reports CSS that runs script or loads a binding; CSS
// escapes (\6a, \0075, @im\port) are undone first.
func cssDanger(s []byte) bool {
	if bytes.IndexByte(s, '\\') >= 0 {
		s = cssUnescape(s)
	}
	return bytes.Contains(s, []byte("text/javascript")) || cssExpression(s) || bytes.Contains(s, []byte("-moz-binding")) ||
		bytes.Contains(s, []byte("behavior:")) || bytes.Contains(s, []byte("behaviour:")) ||
		bytes.Contains(s, []byte("@import")) || bytes.Contains(s, []byte("javascript:")) ||
		bytes.Contains(s, []byte("vbscript:"))
}

// cssUnescape undoes CSS escapes: a backslash and one to six hex
// digits (and one following space), or a backslash before another
// character.
func cssUnescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			out = append(out, s[i])
			continue
		}
		v, n := 0, 0
		for n < 6 && i+1+n < len(s) && isHex(s[i+1+n]) {
			v = v<<4 | hexVal(s[i+1+n])
			n++
		}
		if n == 0 {
			i++
			out = append(out, s[i])
			continue
		}
		i += n
		if i+1 < len(s) && s[i+1] == ' ' {
			i++
		}
		if v > 0 && v < 0x80 {
			c := byte(v)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func hexVal(c byte) int {
	if c <= '9' {
		return int(c - '0')
	}
	return int(c-'a') + 10
}

// obfuscatedHost reports a URL whose host is an IP address written to
// slip past filters: hexadecimal (0x42.0x66…), octal with leading
// zeros, or one big decimal number (http://1113982867/).
func obfuscatedHost(v []byte) bool {
	k := bytes.Index(v, []byte("//"))
	if k < 0 {
		return false
	}
	h := v[k+2:]
	if e := bytes.IndexAny(h, "/?#\\"); e >= 0 {
		h = h[:e]
	}
	if a := bytes.LastIndexByte(h, '@'); a >= 0 {
		h = h[a+1:]
	}
	if len(h) == 0 {
		return false
	}
	digits, dots, hexed, octal := 0, 0, false, false
	for i, c := range h {
		switch {
		case '0' <= c && c <= '9':
			digits++
			if c == '0' && (i == 0 || h[i-1] == '.') && i+1 < len(h) && h[i+1] != '.' {
				if h[i+1] == 'x' {
					hexed = true
				} else {
					octal = true
				}
			}
		case c == '.':
			dots++
		case c == 'x' || isHex(c):
		default:
			return false
		}
	}
	if hexed || octal {
		return true
	}
	return dots == 0 && digits >= 8 && digits == len(h)
}

// sinkAnywhere reports a sink call anywhere in s.
func sinkAnywhere(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if i > 0 && isIdent(s[i-1]) {
			continue
		}
		if sinkCall(s[i:]) {
			return true
		}
	}
	return false
}

// cssExpression finds IE's expression() as a property value.
func cssExpression(s []byte) bool {
	for off := 0; ; {
		k := bytes.Index(s[off:], []byte("expression"))
		if k < 0 {
			return false
		}
		at := off + k
		off = at + len("expression")
		e := off
		for e < len(s) && isSpace(s[e]) {
			e++
		}
		if e >= len(s) || s[e] != '(' {
			continue
		}
		b := at - 1
		for b >= 0 && (isSpace(s[b]) || s[b] == '"' || s[b] == '\'') {
			b--
		}
		if b >= 0 && s[b] == ':' {
			return true
		}
	}
}

func scanCSS(s []byte) (string, float64) {
	if cssExpression(s) {
		return "css expression", scoreStrong
	}
	if bytes.Contains(s, []byte("-moz-binding")) {
		return "css binding", scoreMarkup
	}
	if k := bytes.Index(s, []byte("behavior")); k >= 0 && bytes.Contains(s[k:], []byte("url(")) {
		return "css binding", scoreMarkup
	}
	return "", 0
}

// templateMarkers betray an expression that escapes a client-side
// template's sandbox ({{constructor.constructor('alert(1)')()}}).
var templateMarkers = []string{
	"constructor", "$eval", "$on(", "$emit", "alert(", "alert`", "prompt(", "confirm(",
	"fromcharcode", "_c.", "__proto__", "$window", "document.", "eval(", "[].pop",
	"tostring()", "settimeout(", "import(", "fetch(",
}

// scanTemplates finds script in template expressions: {{…}}, ${…}, #{…}.
func scanTemplates(s []byte) (string, float64) {
	for off := 0; off < len(s); {
		k := bytes.IndexByte(s[off:], '{')
		if k < 0 {
			break
		}
		at := off + k
		off = at + 1
		open := at > 0 && (s[at-1] == '$' || s[at-1] == '#' || s[at-1] == '&') || at+1 < len(s) && s[at+1] == '{'
		if !open {
			continue
		}
		end := min(len(s), at+512)
		body := s[at:end]
		if c := bytes.IndexByte(body, '}'); c >= 0 {
			// Include through the matching close, nested braces too.
			if cc := bytes.Index(body, []byte("}}")); cc >= 0 {
				c = max(c, cc)
			}
			body = body[:c]
		}
		for _, m := range templateMarkers {
			if bytes.Contains(body, []byte(m)) {
				return "template injection", scoreBreakout
			}
		}
		if sinkNear(body[1:]) || arithmeticProbe(body) {
			return "template injection", scoreBreakout
		}
		off = at + max(1, len(body)) // the body was read whole: keep linear
	}
	return "", 0
}

// arithmeticProbe reports a template body that is only a product of
// numbers ({{7*7}}, ${7*'7'}): the probe for template evaluation.
func arithmeticProbe(body []byte) bool {
	body = bytes.Trim(body, "{} ")
	if len(body) < 3 {
		return false
	}
	star, digits := false, 0
	for _, c := range body {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == ' ', c == '\'', c == '"':
		case c == '*':
			star = true
		default:
			return false
		}
	}
	return star && digits >= 2
}

// scanHandlers finds an event handler attribute written outside a
// visible tag: the break-out from an attribute value
// (" onmouseover="alert(1)) or into an unquoted one.
func scanHandlers(s []byte) (string, float64) {
	quoteSeen := false
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\'' || c == '`' {
			quoteSeen = true
			continue
		}
		if c != 'o' || s[i+1] != 'n' {
			continue
		}
		if i > 0 && !isSpace(s[i-1]) && s[i-1] != '"' && s[i-1] != '\'' && s[i-1] != '/' && s[i-1] != '`' && s[i-1] != ';' {
			continue
		}
		e := i + 2
		for e < len(s) && isAlpha(s[e]) {
			e++
		}
		name := s[i+2 : e]
		if len(name) < 3 {
			continue
		}
		for e < len(s) && isSpace(s[e]) {
			e++
		}
		if e >= len(s) || s[e] != '=' {
			continue
		}
		e++
		for e < len(s) && (isSpace(s[e]) || s[e] == '"' || s[e] == '\'') {
			e++
		}
		val := s[e:min(len(s), e+256)]
		js := jsish(val)
		if events[string(name)] && (quoteSeen || js) || quoteSeen && js {
			return "event handler attribute", scoreBreakout
		}
	}
	return "", 0
}

// sinks are the functions and objects a payload calls or reads.
var sinks = []string{
	"alert", "prompt", "confirm", "eval", "print", "settimeout", "setinterval", "function",
	"fetch", "import", "atob", "document.", "window.", "location", "top[", "self[", "parent[",
	"this[", "globalthis", "constructor", "xmlhttprequest", "navigator.", "open(",
}

// jsish reports whether an attribute value looks like script rather
// than a word: a call, a template call or a known sink.
func jsish(v []byte) bool {
	if jsCall(v) || sinkNear(v) {
		return true
	}
	for _, w := range sinks {
		if bytes.HasPrefix(v, []byte(w)) {
			return true
		}
	}
	return false
}

// scanJS finds a break-out from a JavaScript string or expression
// (';alert(1)//, "-alert(1)-", '}alert(1);{'), cookie theft, and
// JSFuck.
func scanJS(s []byte) (string, float64) {
	if r, sc := scanBreakout(s); r != "" {
		return r, sc
	}
	return scanJSRest(s)
}

// scanBreakout finds a quote or ';' followed by operators and a sink.
func scanBreakout(s []byte) (string, float64) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\'' && c != '"' && c != '`' && c != ';' {
			continue
		}
		e := i + 1
		ops := 0
		if c == ';' {
			ops++
		}
		for e < len(s) && (isSpace(s[e]) || isJSOp(s[e])) {
			if !isSpace(s[e]) {
				ops++
			}
			e++
		}
		if e >= len(s) {
			continue
		}
		if ops == 0 {
			// A quote straight into a call counts when a comment or a
			// statement end follows: 'alert(1)//, "alert`1`;
			// Only for a quote opening the value or escaped (\').
			if c != '\'' && c != '"' || i > 0 && s[i-1] != '\\' ||
				!bytes.Contains(s[e:], []byte("//")) && bytes.IndexByte(s[e:], ';') < 0 {
				continue
			}
		}
		if sinkNear(s[e:]) {
			return "script break-out", scoreBreakout
		}
	}
	return "", 0
}

func scanJSRest(s []byte) (string, float64) {
	// Calls of a bare sink, found from their '(' or '`' back to the name:
	// after an operator (-prompt(1)-, +alert`1`) or as a proof of concept
	// (alert(1), prompt(document.domain); not alert('Saved!') or prompt()).
	jsfuck := 0
	for i, c := range s {
		switch c {
		case '(', '`':
			if r := bareCallBefore(s, i); r != "" {
				return r, scoreJS
			}
		}
		if c == '[' || c == ']' || c == '(' || c == ')' || c == '!' || c == '+' {
			jsfuck++
			if jsfuck >= 48 {
				return "jsfuck", scoreJS
			}
		} else {
			jsfuck = 0
		}
	}
	if k := bytes.Index(s, []byte("document.cookie")); k >= 0 {
		after := k + len("document.cookie")
		if k > 0 && bytes.IndexByte([]byte("+(=,"), s[k-1]) >= 0 || after < len(s) && bytes.IndexByte([]byte(")+;"), s[after]) >= 0 {
			return "cookie theft", scoreJS
		}
	}
	return "", 0
}

// bareCallBefore judges the call whose '(' or '`' is at s[i] when the
// callee is alert, prompt, confirm, eval or print.
func bareCallBefore(s []byte, i int) string {
	for _, w := range [...]string{"alert", "prompt", "confirm", "eval", "print"} {
		st := i - len(w)
		if st < 0 || string(s[st:i]) != w {
			continue
		}
		if st > 0 && (isIdent(s[st-1]) || s[st-1] == '.') {
			return ""
		}
		if st > 0 && w != "eval" && w != "print" {
			switch p := s[st-1]; p {
			case '-', '+', '*', '|', '&', '^', '~', '!':
				if st == 1 || !isIdent(s[st-2]) && s[st-2] != ')' {
					return "script break-out"
				}
			}
		}
		if pocCall(s[st:]) {
			return "script call"
		}
		return ""
	}
	return ""
}

func isJSOp(c byte) bool {
	switch c {
	case ';', '-', '+', '*', '|', '&', ',', ')', '}', ']', '%', '^', '~', '!', '?', ':', '<', '>', '=':
		return true
	}
	return false
}

// callSinks are the functions a break-out typically calls.
var callSinks = []string{
	"alert", "prompt", "confirm", "eval", "print", "settimeout", "setinterval", "fetch",
	"import", "atob", "document.write", "window.open", "open", "top[", "self[",
	"window[", "this[", "parent[", "globalthis[", "location=", "location.href=", "document.location=",
}

// sinkNear reports whether a sink is called within the first bytes of
// s, allowing the wrappers payloads use: (alert)(1), [1].find(alert),
// top['al'+'ert'](1).
func sinkNear(s []byte) bool {
	s = s[:min(len(s), 48)]
	for i := 0; i < len(s); i++ {
		if i > 0 && (isIdent(s[i-1]) || s[i-1] == '\'' || s[i-1] == '"') {
			continue
		}
		if sinkCall(s[i:]) {
			return true
		}
		if i < len(s) && !isIdent(s[i]) && s[i] != '(' && s[i] != '[' && s[i] != '.' && s[i] != ']' && s[i] != ')' && !isSpace(s[i]) && s[i] != '1' {
			return false
		}
	}
	return false
}

// sinkStart marks the first letters of callSinks.
var sinkStart = func() (t [256]bool) {
	for _, w := range callSinks {
		t[w[0]] = true
	}
	return t
}()

// bareSinks are passed as values in payloads: (alert)(1), [1].find(alert).
var bareSinks = map[string]bool{"alert": true, "prompt": true, "confirm": true, "eval": true, "print": true}

// pocArgs start the arguments of a proof-of-concept call.
var pocArgs = []string{
	"document.", "window.", "top.", "self.", "this.", "origin", "string.fromcharcode", "/xss/", "'xss", "\"xss",
	"`xss", "atob(", "navigator.", "location", "localstorage", "sessionstorage",
}

// pocCall reports alert, prompt, confirm or eval called at the start of
// s with a digit, a DOM object or an "XSS" marker as its argument.
func pocCall(s []byte) bool {
	for _, w := range [...]string{"alert", "prompt", "confirm", "eval", "print"} {
		if !bytes.HasPrefix(s, []byte(w)) || len(s) < len(w)+2 {
			continue
		}
		open := s[len(w)]
		if open != '(' && open != '`' {
			return false
		}
		a := s[len(w)+1:]
		if '0' <= a[0] && a[0] <= '9' && (open == '`' || len(a) > 1 && (a[1] == ')' || '0' <= a[1] && a[1] <= '9')) {
			return true
		}
		if open == '`' {
			return bytes.HasPrefix(a, []byte("xss")) || bytes.HasPrefix(a, []byte("${"))
		}
		for _, p := range pocArgs {
			if bytes.HasPrefix(a, []byte(p)) {
				return true
			}
		}
		return false
	}
	return false
}

// sinkCall reports whether s starts with a call of a sink.
func sinkCall(s []byte) bool {
	if len(s) == 0 || !sinkStart[s[0]] {
		return false
	}
	for _, w := range callSinks {
		if !bytes.HasPrefix(s, []byte(w)) {
			continue
		}
		last := w[len(w)-1]
		if last == '[' || last == '=' {
			return true
		}
		e := len(w)
		if e < len(s) && (s[e] == '(' || s[e] == '`' || s[e] == ')' && bareSinks[w]) {
			return true
		}
	}
	return false
}

// events are the DOM event handler names (without "on") used outside a
// tag; inside one, any on* attribute counts.
var events = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range bytes.Fields([]byte(`abort activate afterprint afterscriptexecute animationcancel
animationend animationiteration animationstart auxclick beforeactivate beforecopy beforecut
beforedeactivate beforeinput beforepaste beforeprint beforescriptexecute beforetoggle
beforeunload begin blur bounce canplay canplaythrough change click close contextmenu copy
cuechange cut dblclick deactivate drag dragend dragenter dragleave dragover dragstart drop
durationchange emptied end ended error focus focusin focusout formdata fullscreenchange
hashchange input invalid keydown keypress keyup load loadeddata loadedmetadata loadend loadstart
message mousedown mouseenter mouseleave mousemove mouseout mouseover mouseup mousewheel
offline online pagehide pageshow paste pause play playing pointercancel pointerdown
pointerenter pointerleave pointermove pointerout pointerover pointerup popstate progress
ratechange readystatechange repeat reset resize scroll scrollend search seeked seeking
select selectionchange selectstart show stalled start storage submit suspend timeupdate
toggle touchend touchmove touchstart transitioncancel transitionend transitionrun
transitionstart unload volumechange waiting wheel contentvisibilityautostatechange
propertychange filterchange finish help losecapture move moveend movestart`)) {
		m[string(e)] = true
	}
	return m
}()

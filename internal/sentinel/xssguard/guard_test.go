package xssguard

import (
	"math/rand/v2"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/corpus"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

func TestInspect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value  string
		reason string // "" means benign
	}{
		{"<script>alert(1)</script>", "script tag"},
		{"<script src=//evil.example/x.js>", "script tag"},
		{"<img src=x onerror=alert(1)>", "event handler attribute"},
		{"<svg/onload=alert(1)>", "event handler attribute"},
		{"<body onpageshow=alert(1)>", "event handler attribute"},
		{"<img src=x/onerror=alert(1)>", "event handler attribute"},
		{"<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "javascript URL"},
		{"<a href=\"java\tscript:alert(1)\">x</a>", "javascript URL"},
		{"<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "data URL"},
		{"<iframe src=https://evil.example>", "embedded content tag"},
		{"<object data=x.swf>", "embedded content tag"},
		{"<embed src=x.swf>", "embedded content tag"},
		{"<meta http-equiv=refresh content=\"0;url=https://evil.example\">", "meta refresh"},
		{"<base href=\"https://evil.example/\">", "base href"},
		{"<form action=javascript:alert(1)><input type=submit>", "javascript URL"},
		{"<x srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">", "srcdoc attribute"},
		{"<iframe srcdoc=x>", "embedded content tag"},
		{"<p srcdoc=\"x\">", "srcdoc attribute"},
		{"<div style=\"width: expression(alert(1))\">", "style expression"},
		{"<div style=\"background:url(javascript:alert(1))\">", "style expression"},
		{"<div style=\"background:\\75rl('\\6a avascript:alert(1)')\">", "style expression"},
		{"{{constructor.constructor('alert(1)')()}}", "template injection"},
		{"\" onmouseover=\"alert(1)", "event handler attribute"},
		{"' autofocus onfocus=alert(1) x='", "event handler attribute"},
		{"</textarea><script>alert(1)</script>", "script tag"},
		{"</title><svg onload=alert(1)>", "event handler attribute"},
		{"%3Cscript%3Ealert(1)%3C/script%3E", "script tag"},
		{"%253Cscript%253Ealert(1)%253C/script%253E", "script tag"},
		{"&lt;img src=x onerror=alert(1)&gt;", "event handler attribute"},
		{"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e", "script tag"},
		{"<scr\x00ipt>alert(1)</script>", "script tag"},
		{"%C0%BCscript%C0%BEalert(1)", "script tag"},
		{"＜script＞alert(1)＜/script＞", "script tag"},
		{"+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "script tag"},
		{"';alert(1)//", "script break-out"},
		{"'-alert(document.domain)-'", "script break-out"},
		{"[x](javascript:alert(1))", "javascript URL"},
		{"javascript:alert(document.cookie)", "javascript URL"},
		{"'';!--\"<XSS>=&{()}", "xss probe tag"},
		{"<STYLE>@im\\port'\\ja\\vasc\\ript:alert(\"XSS\")';</STYLE>", "style tag"},
		{"<A HREF=\"http://0x42.0x0000066.0x7.0x93/\">XSS</A>", "obfuscated URL host"},
		{"<BR SIZE=\"&{alert('XSS')}\">", "template injection"},
		{"<!--#exec cmd=\"/bin/echo 'x'\"-->", "server-side include"},
		{"¼script¾alert(¢XSS¢)¼/script¾", "script tag"},
		{"<META HTTP-EQUIV=\"Link\" Content=\"<http://evil.example/x.css>; REL=stylesheet\">", "meta refresh"},

		{"alert(1)", "script call"},
		{"prompt(document.domain)", "script call"},
		{"{{7*7}}", "template injection"},
		{"${7*'7'}", "template injection"},

		{"x < y and y > z", ""},
		{"call alert('Saved!') after saving", ""},
		{"use prompt() to ask", ""},
		{"{{ count }} items, {{ a }}*{{ b }}", ""},
		{"<3", ""},
		{"I <3 Go", ""},
		{"a->b", ""},
		{"use <br> for breaks", ""},
		{"<b>bold</b> <i>it</i> <p>para</p>", ""},
		{"<a href=\"https://example.com/x\">x</a>", ""},
		{"Jane <jane@x.org>", ""},
		{"call onClick handler", ""},
		{"the onload event", ""},
		{"https://example.com/javascript/tutorial", ""},
		{"JavaScript: The Good Parts", ""},
		{"`javascript:` URLs are filtered", ""},
		{"{\"onload\":true,\"html\":\"<b>x</b>\"}", ""},
		{"f(x) = x^2 + 1", ""},
		{"P@ss<w0rd>!", ""},
		{"List<String> xs = new ArrayList<>();", ""},
		{"Hello {{ user.name }}", ""},
		{"Don't use <script> tags inline", ""},
		{"a regular expression (regex)", ""},
		{"data:image/png;base64,iVBORw0KGgo=", ""},
		{"50% off & free shipping", ""},
	}
	var g Guard
	for _, tt := range tests {
		inspecttest.CheckReason(t, g.Inspect, Name, Label, tt.value, tt.reason)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	attack := "<script>alert(1)</script>"
	g := New(Config{MaxLen: 64})
	inspecttest.CheckLimits(t, attack, New(Config{Disabled: true}).Inspect, g.Inspect, g.Stats)
	if err := (Config{MaxLen: -1}).Validate(); err == nil {
		t.Error("Validate accepted a negative max_len")
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("Validate(zero) = %v", err)
	}
	var _ event.Inspector = g
}

// corpusSeed is a seed the rules were never tuned on (development used
// others); the generated corpus under it must meet the bars.
const corpusSeed = 20261208

func TestCorpusAccuracy(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(corpusSeed, corpusSeed>>1))
	attacks := inspecttest.Values(corpus.XSS(r, 20000))
	benign := inspecttest.Values(corpus.BenignMarkup(r, 20000))
	var g Guard
	s := inspecttest.Measure(t, "corpus", g.Inspect, attacks, benign, 10)
	t.Logf("corpus seed %d: %s", corpusSeed, s)
	inspecttest.Bar{MinDetection: 0.97, MaxFalsePositives: 0.005}.Check(t, "corpus", s)
}

// TestBenignFastPathAllocs: neither the prefilter's fast path nor the
// slow path (which reuses pooled buffers) allocates.
func TestBenignFastPathAllocs(t *testing.T) {
	var g Guard
	inspecttest.NoAllocs(t, g.Inspect, "hello world", "Alice Smith", "a regular sentence, with commas.", "x < y & z")
}

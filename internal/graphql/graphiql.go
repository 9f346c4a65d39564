package graphql

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// A browser's GET of /graphql/v1 gets GraphiQL. GraphiQL is a React
// application; mobo does not vendor it (a megabyte of JavaScript to keep
// current) but loads it from jsDelivr, pinned to exact versions and
// checked by subresource integrity, so a changed or tampered file is
// refused. The page holds a plain query form that works without them:
// it shows while the scripts load and stays when they cannot (offline,
// a CDN outage, a strict proxy). ?plain serves the form alone, loading
// nothing from elsewhere.

// The pinned GraphiQL and React, with the sha384 of each file as npm
// publishes it (jsDelivr serves the package's files unchanged).
const (
	graphiQLCSS = `<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/graphiql@3.8.3/graphiql.min.css" integrity="sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM" crossorigin="anonymous">`
	graphiQLJS  = `<script src="https://cdn.jsdelivr.net/npm/react@18.3.1/umd/react.production.min.js" integrity="sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z" crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/react-dom@18.3.1/umd/react-dom.production.min.js" integrity="sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1" crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/graphiql@3.8.3/graphiql.min.js" integrity="sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie" crossorigin="anonymous"></script>`
)

// plainForm posts a query with the key given on the page.
const plainForm = `<div id="fallback">
<h1>GraphQL</h1>
<p id="note">{{note}}</p>
<p><label>API key <input id="key" size="60" placeholder="anon or service_role key"></label></p>
<p><textarea id="query" rows="14">{
  __schema { queryType { name } }
}</textarea></p>
<p><label>Variables (JSON)<br><textarea id="vars" rows="4">{}</textarea></label></p>
<p><button id="run">Run</button></p>
<pre id="out"></pre>
</div>
<script>
document.getElementById('run').onclick = async () => {
  const key = document.getElementById('key').value.trim();
  const headers = {'Content-Type': 'application/json'};
  if (key) { headers.apikey = key; headers.Authorization = 'Bearer ' + key; }
  let variables = {};
  try { variables = JSON.parse(document.getElementById('vars').value || '{}'); } catch (e) { document.getElementById('out').textContent = 'variables: ' + e; return; }
  const res = await fetch(location.pathname, {method: 'POST', headers, body: JSON.stringify({query: document.getElementById('query').value, variables})});
  document.getElementById('out').textContent = JSON.stringify(await res.json(), null, 2);
};
</script>`

const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL · MagFlock</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{{css}}
<style>html,body{height:100%;margin:0}#graphiql{height:100vh}#fallback{font:14px system-ui,sans-serif;margin:1em}#fallback textarea{width:100%;font:13px monospace}#fallback pre{background:#f4f4f4;padding:1em;overflow:auto}</style>
</head><body>
`

// mountGraphiQL replaces the form by GraphiQL when its scripts loaded, with
// a headers tab ready for the project's key. The headers are not persisted:
// a service_role key left in the browser's storage outlives the session.
const mountGraphiQL = `<script>
if (window.React && window.ReactDOM && window.GraphiQL) {
  const root = document.getElementById('graphiql');
  root.hidden = false;
  document.getElementById('fallback').hidden = true;
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({url: location.pathname}),
    defaultEditorToolsVisibility: 'headers',
    defaultHeaders: '{\n  "apikey": "<anon or service_role key>",\n  "Authorization": "Bearer <the same key, or a user\'s access token>"\n}',
    shouldPersistHeaders: false,
  }));
} else {
  document.getElementById('note').textContent = 'GraphiQL could not load from cdn.jsdelivr.net (offline or blocked): this plain form works without it.';
}
</script>`

var (
	// graphiQLPage is GraphiQL with the plain form as its fallback.
	graphiQLPage = strings.NewReplacer("{{css}}", graphiQLCSS).Replace(pageHead) +
		`<div id="graphiql" hidden></div>
` + strings.NewReplacer("{{note}}", "Loading GraphiQL…").Replace(plainForm) + "\n" + graphiQLJS + "\n" + mountGraphiQL + "\n</body></html>\n"
	// plainPage is the form alone.
	plainPage = strings.NewReplacer("{{css}}", "").Replace(pageHead) +
		strings.NewReplacer("{{note}}", "The plain form (GraphiQL: this page without ?plain).").Replace(plainForm) + "\n</body></html>\n"
)

// inlineRe finds the page's inline scripts and styles, whose hashes the
// content security policy allows (and nothing else inline).
var inlineRe = regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`)

// contentSecurityPolicy allows what page needs: its own inline scripts by
// hash, the pinned files from jsDelivr (their integrity is checked too),
// styles (GraphiQL's editor sets its own inline), requests to this server
// only; no plugins, no framing, no base URL or form target elsewhere.
func contentSecurityPolicy(page string) string {
	var scripts []string
	for _, m := range inlineRe.FindAllStringSubmatch(page, -1) {
		if m[1] == "script" {
			sum := sha256.Sum256([]byte(m[2]))
			scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
	}
	return "default-src 'none'; script-src " + strings.Join(scripts, " ") + " https://cdn.jsdelivr.net" +
		"; style-src 'unsafe-inline' https://cdn.jsdelivr.net" +
		"; connect-src 'self'; img-src 'self' data:; font-src https://cdn.jsdelivr.net data:" +
		"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
}

var graphiQLPolicy, plainPolicy = contentSecurityPolicy(graphiQLPage), contentSecurityPolicy(plainPage)

// acceptsHTML reports whether a GET comes from a browser: its Accept
// names text/html.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// serveGraphiQL writes the page for a browser's GET.
func serveGraphiQL(w http.ResponseWriter, r *http.Request) {
	page, policy := graphiQLPage, graphiQLPolicy
	if r.URL.Query().Has("plain") {
		page, policy = plainPage, plainPolicy
	}
	h := w.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.WriteString(w, page)
}

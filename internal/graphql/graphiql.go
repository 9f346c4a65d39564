package graphql

// graphiQL is the page served on GET /graphql/v1. The real GraphiQL loads
// React and its bundle from a CDN, which an offline install cannot; this is
// a minimal form that POSTs the query with the key given on the page.
const graphiQL = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphQL · MagFlock</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}textarea{width:100%;font:13px monospace}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>
</head><body>
<h1>GraphQL</h1>
<p><label>API key <input id="key" size="60" placeholder="anon or service_role key"></label></p>
<p><textarea id="query" rows="14">{
  __schema { queryType { name } }
}</textarea></p>
<p><label>Variables (JSON)<br><textarea id="vars" rows="4">{}</textarea></label></p>
<p><button id="run">Run</button></p>
<pre id="out"></pre>
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
</script>
</body></html>
`

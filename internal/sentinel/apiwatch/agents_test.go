package apiwatch

import (
	"strings"
	"testing"
	"unicode"
)

func TestAgentMatcher(t *testing.T) {
	t.Parallel()
	m := newAgentMatcher(DefaultBadAgents)
	for ua, want := range map[string]string{
		"sqlmap/1.8.2#stable (https://sqlmap.org)":                                   "sqlmap",
		"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)":                   "nikto",
		"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse)": "nmap",
		"masscan/1.3 (https://github.com/robertdavidgraham/masscan)":                 "masscan",
		"Mozilla/5.0 zgrab/0.x": "zgrab",
		"gobuster/3.6":          "gobuster",
		"DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)": "dirbuster",
		"Wfuzz/3.1.0":                   "wfuzz",
		"Fuzz Faster U Fool v2.1.0-dev": "fuzz faster u fool",
		"Nuclei - Open-source project (github.com/projectdiscovery/nuclei)": "nuclei",
		"acunetix_wvs_security_test":                                        "acunetix",
		"Havij":                                                             "havij",
		"w3af.org":                                                          "w3af",
		"Mozilla/4.0 (Hydra)":                                               "hydra",
		"curl/8.5.0":                                                        "",
		"python-requests/2.31.0":                                            "",
		"Go-http-client/1.1":                                                "",
		"node-fetch/1.0":                                                    "",
		"axios/1.6.2":                                                       "",
		"unmapped/1.0 hydrant dirbusters":                                   "",
		"":                                                                  "",
		strings.Repeat("a", 2000) + " sqlmap":                               "", // past the matched prefix
	} {
		if got := m.match(ua); got != want {
			t.Errorf("match(%.60q) = %q, want %q", ua, got, want)
		}
		if got := m.match(ua); got != want { // from the cache
			t.Errorf("cached match(%.60q) = %q, want %q", ua, got, want)
		}
	}
}

// naiveMatch is the definition agentMatcher implements.
func naiveMatch(list []string, ua string) bool {
	ua = strings.ToLower(ua[:min(len(ua), maxAgentLen)])
	words := strings.FieldsFunc(ua, func(r rune) bool { return r > unicode.MaxASCII || !isAlnum(byte(r)) })
	for _, w := range list {
		if !strings.Contains(w, " ") {
			for _, x := range words {
				if x == w && len(x) <= 64 {
					return true
				}
			}
			continue
		}
		for i := strings.Index(ua, w); i >= 0; {
			if i == 0 || !isAlnum(ua[i-1]) {
				return true
			}
			j := strings.Index(ua[i+1:], w)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

func FuzzAgentMatcher(f *testing.F) {
	for _, s := range []string{"sqlmap/1.0", "Fuzz Faster U Fool", "xfuzz faster u fool", "Mozilla/5.0 (Nmap)", "nmapx", "ümlaut nikto"} {
		f.Add(s)
	}
	m := newAgentMatcher(DefaultBadAgents)
	f.Fuzz(func(t *testing.T, ua string) {
		if got, want := m.scan(ua[:min(len(ua), maxAgentLen)]) != "", naiveMatch(DefaultBadAgents, ua); got != want {
			t.Errorf("scan(%q) found=%v, naive=%v", ua, got, want)
		}
	})
}

package main

import "github.com/prometheus/client_golang/prometheus"

// teeRegisterer registers each collector with every one of its
// registerers. The gateway's HTTP metrics go to the platform's registry
// (scraped) and to one of their own that the SLO engine reads every
// interval, so that its readings do not run the other collectors too
// (PostgreSQL's statistics take a connection each time).
type teeRegisterer []prometheus.Registerer

func (t teeRegisterer) Register(c prometheus.Collector) error {
	for i, r := range t {
		if err := r.Register(c); err != nil {
			for _, done := range t[:i] {
				done.Unregister(c)
			}
			return err
		}
	}
	return nil
}

func (t teeRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := t.Register(c); err != nil {
			panic(err)
		}
	}
}

func (t teeRegisterer) Unregister(c prometheus.Collector) bool {
	ok := true
	for _, r := range t {
		ok = r.Unregister(c) && ok
	}
	return ok
}

package sentinel

import (
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/pathguard"
	"github.com/magflock/mobo/internal/sentinel/sqlguard"
	"github.com/magflock/mobo/internal/sentinel/xssguard"
)

// Classifier labels values with every value agent — the statements' (see
// [Standard]) and PathGuard — as `mobo sentinel classify` does for an
// operator testing the agents on their own data, or a labelled corpus.
type Classifier struct {
	agents []ValueAgent
}

// NewClassifier returns a classifier with the agents configured by cfg.
func NewClassifier(cfg Config) (*Classifier, error) {
	sq, err := sqlguard.New(cfg.SQLGuard)
	if err != nil {
		return nil, err
	}
	return &Classifier{agents: []ValueAgent{
		{Name: sqlguard.Name, Inspector: sq},
		{Name: xssguard.Name, Inspector: xssguard.New(cfg.XSSGuard)},
		{Name: pathguard.Name, Inspector: pathguard.New(cfg.PathGuard)},
	}}, nil
}

// Benign is the label of a value no agent flags.
const Benign = "benign"

// Classify returns the most confident finding on v (the first agent's on
// a tie), or a zero Finding and [Benign].
func (c *Classifier) Classify(v string) (string, event.Finding) {
	var best event.Finding
	for _, a := range c.agents {
		if f := a.Inspector.Inspect(v); f.Found() && f.Score > best.Score {
			if f.Agent == "" {
				f.Agent = a.Name
			}
			best = f
		}
	}
	if !best.Found() {
		return Benign, best
	}
	return best.Label, best
}

// Command sentineltrain trains the sentinel's learned models from the
// seeded corpus and writes their weights: today sqlguard's, to
// internal/sentinel/sqlguard/model.bin (embedded in the binary). It
// trains on one seed's corpus and reports detection and false positives
// on another seed's, so a change to the generator or the features shows
// its effect on values the model did not see.
//
//	go run ./cmd/sentineltrain
//	go run ./cmd/sentineltrain -seed 1 -eval-seed 2 -n 40000 -out /tmp/model.bin
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/magflock/mobo/internal/sentinel/corpus"
	"github.com/magflock/mobo/internal/sentinel/sqlguard"
)

func main() {
	out := flag.String("out", "internal/sentinel/sqlguard/model.bin", "where to write the weights")
	seed := flag.Uint64("seed", sqlguard.TrainSeed, "the training corpus's seed")
	evalSeed := flag.Uint64("eval-seed", sqlguard.TrainSeed+1, "the evaluation corpus's seed (must differ from -seed)")
	n := flag.Int("n", 30000, "samples of each class (attack, benign) to train on")
	epochs := flag.Int("epochs", 0, "training passes (0: the default)")
	flag.Parse()
	if err := run(*out, *seed, *evalSeed, *n, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "sentineltrain:", err)
		os.Exit(1)
	}
}

func run(out string, seed, evalSeed uint64, n, epochs int) error {
	if seed == evalSeed {
		return fmt.Errorf("-seed and -eval-seed are both %d: evaluate on a corpus the model did not see", seed)
	}
	start := time.Now()
	values, attack := sample(seed, n)
	m, err := sqlguard.Train(values, attack, sqlguard.TrainOptions{Epochs: epochs, Seed: seed})
	if err != nil {
		return err
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil { //nolint:gosec // a data file in the repository
		return fmt.Errorf("writing the model: %w", err)
	}
	fmt.Printf("trained on seed %d (%d values) in %s, wrote %s (%d bytes)\n", seed, len(values), time.Since(start).Round(time.Millisecond), out, len(b))

	values, attack = sample(evalSeed, n/2)
	rules, err := sqlguard.New(sqlguard.Config{NoModel: true})
	if err != nil {
		return err
	}
	for _, e := range []struct {
		name string
		g    *sqlguard.Guard
	}{{"rules only", rules}, {"rules+model", rules.WithModel(m)}} {
		var tp, fn, fp, tn int
		for i, v := range values {
			hit := e.g.Inspect(v).Found()
			switch {
			case attack[i] && hit:
				tp++
			case attack[i]:
				fn++
			case hit:
				fp++
			default:
				tn++
			}
		}
		fmt.Printf("seed %d, %-11s: detection %.4f (%d/%d), false positives %.4f (%d/%d)\n", evalSeed, e.name,
			float64(tp)/float64(tp+fn), tp, tp+fn, float64(fp)/float64(fp+tn), fp, fp+tn)
	}
	return nil
}

// sample returns n attacks and n benign values from seed's corpus.
func sample(seed uint64, n int) ([]string, []bool) {
	r := rand.New(rand.NewPCG(seed, 2)) //nolint:gosec // a reproducible corpus, not a secret
	var values []string
	var attack []bool
	for _, s := range append(corpus.SQLi(r, n), corpus.Benign(r, n)...) {
		values = append(values, s.Value)
		attack = append(attack, s.Label != corpus.LabelBenign)
	}
	return values, attack
}

package sqlguard

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// TrainOptions tunes [Train]. Zero fields take the defaults noted.
type TrainOptions struct {
	Epochs int     // passes over the samples; 0 means 8
	Rate   float64 // AdaGrad's learning rate; 0 means 0.2
	L2     float64 // L2 penalty per step; 0 means 1e-6
	Seed   uint64  // shuffling seed; the same seed and samples give the same model
}

// ErrTrain is wrapped by the errors [Train] returns.
var ErrTrain = errors.New("sqlguard: cannot train")

// Train fits a [Model] to values labelled attack or not, by logistic
// regression with AdaGrad over the features the guard computes (see
// [Model]). Only values that pass the prefilter are used: the model never
// sees the others. The two classes are weighted to count equally.
func Train(values []string, attack []bool, opt TrainOptions) (*Model, error) {
	if len(values) != len(attack) {
		return nil, fmt.Errorf("%w: %d values, %d labels", ErrTrain, len(values), len(attack))
	}
	if opt.Epochs == 0 {
		opt.Epochs = 8
	}
	if opt.Rate == 0 {
		opt.Rate = 0.2
	}
	if opt.L2 == 0 {
		opt.L2 = 1e-6
	}
	type example struct {
		feats []uint32
		y     float64
	}
	g := &Guard{cfg: Config{}.withDefaults()}
	g.pool.New = func() any { return newScratch() }
	sc := newScratch()
	var data []example
	var pos, neg float64
	for i, v := range values {
		if len(v) > g.cfg.MaxLength {
			v = v[:g.cfg.MaxLength]
		}
		if !suspicious(v) {
			continue
		}
		sc.analyze(v)
		var fs []uint32
		sc.features(func(h uint32) { fs = append(fs, h&(modelDim-1)) })
		y := 0.0
		if attack[i] {
			y = 1
			pos++
		} else {
			neg++
		}
		data = append(data, example{fs, y})
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("%w: need both classes (%v attacks, %v benign)", ErrTrain, pos, neg)
	}
	wPos, wNeg := (pos+neg)/(2*pos), (pos+neg)/(2*neg)
	w := make([]float64, modelDim)
	gsq := make([]float64, modelDim)
	var bias, gBias float64
	r := rand.New(rand.NewPCG(opt.Seed, 0x5eed)) //nolint:gosec // reproducible shuffling, not a secret
	for range opt.Epochs {
		r.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
		for _, e := range data {
			z := bias
			for _, f := range e.feats {
				z += w[f]
			}
			p := 1 / (1 + math.Exp(-z))
			cw := wNeg
			if e.y == 1 {
				cw = wPos
			}
			grad := (p - e.y) * cw
			gBias += grad * grad
			bias -= opt.Rate * grad / (math.Sqrt(gBias) + 1e-8)
			for _, f := range e.feats {
				gf := grad + opt.L2*w[f]
				gsq[f] += gf * gf
				w[f] -= opt.Rate * gf / (math.Sqrt(gsq[f]) + 1e-8)
			}
		}
	}
	m := &Model{bias: float32(bias), weights: make([]float32, modelDim)}
	for i, x := range w {
		m.weights[i] = float32(x)
	}
	return m, nil
}

// TrainSeed is the corpus seed the shipped model was trained on; the
// accuracy tests measure on other seeds.
const TrainSeed = 1

package sqlguard

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Model is a logistic regression over hashed features of a value's
// readings: n-grams (1 to 4) of its token classes in each context, the
// keywords and function names it uses, the rules' evidence and a few
// flags (decoded, comments, parentheses). It is trained offline by
// [Train] (go run ./cmd/sentineltrain) and shipped as model.bin.
//
// A Model is read-only after it is made and safe for concurrent use.
type Model struct {
	bias    float32
	weights []float32 // len is a power of two
}

// modelDim is the number of hashed feature buckets.
const modelDim = 1 << 13

// modelMagic starts a serialized model.
const modelMagic = "SQLG1"

//go:embed model.bin
var shippedModelBytes []byte

// shippedModel decodes the embedded model; a missing or broken one means
// rules only (the tests check that it decodes).
func shippedModel() *Model {
	m, err := UnmarshalModel(shippedModelBytes)
	if err != nil {
		return nil
	}
	return m
}

// ErrModel is wrapped by the errors [UnmarshalModel] returns.
var ErrModel = errors.New("sqlguard: bad model data")

// MarshalBinary encodes m: the magic, the dimension, the bias and the
// weights as little-endian float32s.
func (m *Model) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(modelMagic)+8+4*len(m.weights))
	b = append(b, modelMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.weights))) //nolint:gosec // modelDim
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.bias))
	for _, w := range m.weights {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(w))
	}
	return b, nil
}

// UnmarshalModel decodes a model written by [Model.MarshalBinary].
func UnmarshalModel(b []byte) (*Model, error) {
	if len(b) < len(modelMagic)+8 || string(b[:len(modelMagic)]) != modelMagic {
		return nil, fmt.Errorf("%w: no header", ErrModel)
	}
	b = b[len(modelMagic):]
	dim := binary.LittleEndian.Uint32(b)
	if dim != modelDim || len(b) != 8+4*int(dim) {
		return nil, fmt.Errorf("%w: dimension %d, %d bytes", ErrModel, dim, len(b))
	}
	m := &Model{bias: math.Float32frombits(binary.LittleEndian.Uint32(b[4:])), weights: make([]float32, dim)}
	for i := range m.weights {
		m.weights[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return m, nil
}

// predict returns the probability that the value sc analyzed is an attack.
func (m *Model) predict(sc *scratch) float64 {
	sum := m.bias
	mask := uint32(modelDim - 1) // UnmarshalModel checks the length
	sc.features(func(h uint32) { sum += m.weights[h&mask] })
	return 1 / (1 + math.Exp(-float64(sum)))
}

// FNV-1a, inlined: features are hashed without allocating.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func hashByte(h uint32, b byte) uint32 { return (h ^ uint32(b)) * fnvPrime }

func hashString(h uint32, s string) uint32 {
	for i := range len(s) {
		h = hashByte(h, lower(s[i]))
	}
	return h
}

// maxModelTokens bounds the tokens of each reading the model looks at.
const maxModelTokens = 64

// symbol is a token's class as one byte, the model's alphabet.
func (v *view) symbol(i int) byte {
	t := v.toks[i]
	switch t.kind {
	case kString:
		return 's'
	case kStringOpen:
		return 'S'
	case kIdent:
		switch {
		case v.call(i) && (t.kw == kwFuncTime || t.kw == kwFuncRisky):
			return 'F'
		case v.call(i) && t.kw.isFunc():
			return 'g'
		case v.call(i):
			return 'f'
		case t.kw == kwCatalog:
			return 'C'
		case t.kw == kwType:
			return 't'
		}
		return 'i'
	case kKeyword:
		switch t.kw {
		case kwUnion:
			return 'U'
		case kwSelect:
			return 'E'
		case kwStmt:
			return 'T'
		case kwStmtWeak:
			return 'W'
		case kwLogic:
			return '&'
		case kwNot:
			return '!'
		case kwLiteral:
			return 'l'
		}
		return 'k'
	case kQIdent:
		return 'q'
	case kNumber:
		return 'n'
	case kOp:
		switch t.op {
		case opCompare:
			return '='
		case opConcat:
			return '|'
		case opAnd:
			return '&'
		case opCast:
			return ':'
		case opArith:
			return '+'
		}
		return 'o'
	case kParam:
		return 'v'
	case kLParen:
		return '('
	case kRParen:
		return ')'
	case kComma:
		return ','
	case kSemi:
		return ';'
	case kDot:
		return '.'
	}
	return '?'
}

// features calls emit with the hash of each of the value's features.
func (sc *scratch) features(emit func(uint32)) {
	// The rules' evidence, by reason and by score decile.
	emit(hashString(hashByte(fnvOffset, 'r'), sc.verdict.reason))
	emit(hashByte(hashByte(fnvOffset, 'R'), byte(sc.verdict.score*10)))
	flag := func(name byte, on bool) {
		if on {
			emit(hashByte(hashByte(fnvOffset, 'x'), name))
		}
	}
	flag('d', sc.decoded)
	n := len(sc.value)
	emit(hashByte(hashByte(fnvOffset, 'L'), byte(min(n/8, 32))))
	for c := range numContexts {
		if !sc.used[c] {
			continue
		}
		v := &sc.views[c]
		ctx := byte('0' + c)
		if v.ctx != ctxAsIs && !v.brokeOut {
			emit(hashByte(hashByte(fnvOffset, 'k'), ctx)) // stayed inside the literal
			continue
		}
		flag('c', v.endComment)
		flag('b', v.bareComment)
		flag('i', v.inlineComment)
		flag('v', v.versioned)
		flag('j', v.joined != kwNone)
		flag('p', v.parenOut)
		toks := min(len(v.toks), maxModelTokens)
		// Token-class n-grams, 1 to 4, framed by ^ and $.
		var win [4]byte
		for i := -1; i <= toks; i++ {
			var s byte
			switch {
			case i < 0:
				s = '^'
			case i == toks && v.endComment:
				s = '#'
			case i == toks:
				s = '$'
			default:
				s = v.symbol(i)
			}
			win[0], win[1], win[2], win[3] = win[1], win[2], win[3], s
			h := hashByte(hashByte(fnvOffset, 'n'), ctx)
			for k := 3; k >= 0; k-- {
				if win[k] == 0 {
					break
				}
				h = hashByte(h, win[k])
				emit(h)
			}
			// The words themselves, for keywords and known functions.
			if i >= 0 && i < toks && (v.toks[i].kind == kKeyword || v.toks[i].kw != kwNone) {
				emit(hashString(hashByte(fnvOffset, 'w'), v.text(i)))
			}
		}
	}
}

// combine merges the rules' verdict with the model's probability p. The
// rules decide what they are sure of. Below the threshold, the model may
// raise a value the rules found weak evidence in (a score from 0.3) when
// it is confident; a value the rules found nothing in stays clean (on
// text unlike its corpus a linear model is confidently wrong). It never lowers the rules' score: a payload unlike the
// training corpus would be judged by a model that has not seen its kind.
func combine(rules verdict, p float64, threshold float64) (float64, string) {
	switch {
	case rules.score >= 0.75:
		return rules.score, rules.reason
	case rules.score >= threshold:
		return rules.score, rules.reason
	case rules.score >= 0.3 && p >= 0.9:
		return max(rules.score, threshold, p*0.9), "learned model"
	}
	return rules.score, rules.reason
}

package rest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Constructors that keep the test tables short.

func fld(name string, path ...JSONOp) Field { return Field{Name: name, JSON: path} }
func jk(k string) JSONOp                    { return JSONOp{Arrow: ArrowJSON, Operand: k} }
func jkt(k string) JSONOp                   { return JSONOp{Arrow: ArrowText, Operand: k} }
func ji(i string) JSONOp                    { return JSONOp{Arrow: ArrowJSON, Index: true, Operand: i} }

func jit(i string) JSONOp { return JSONOp{Arrow: ArrowText, Index: true, Operand: i} }

func star() SelectItem { return SelectItem{Kind: SelectStar} }

func col(name string, path ...JSONOp) SelectItem {
	return SelectItem{Kind: SelectField, Field: fld(name, path...)}
}

// with returns it modified by f, for one-off fields in a table.
func with(it SelectItem, f func(*SelectItem)) SelectItem {
	f(&it)
	return it
}

func aliased(alias string, it SelectItem) SelectItem {
	it.Alias = alias
	return it
}

func cast(it SelectItem, c string) SelectItem {
	it.Cast = c
	return it
}

func embed(rel string, children ...SelectItem) SelectItem {
	return SelectItem{Kind: SelectEmbed, Relation: rel, Children: children}
}

func spread(rel string, children ...SelectItem) SelectItem {
	return SelectItem{Kind: SelectSpread, Relation: rel, Children: children}
}

func op(o Operator, v string) OpExpr { return OpExpr{Op: o, Value: v} }

func not(e OpExpr) OpExpr {
	e.Negate = true
	return e
}

func cond(f Field, e OpExpr) LogicNode {
	return LogicNode{Cond: &Condition{Field: f, Expr: e}}
}

func group(negate bool, o LogicOp, children ...LogicNode) LogicNode {
	return LogicNode{Expr: &LogicExpr{Negate: negate, Op: o, Children: children}}
}

func filter(path []string, f Field, e OpExpr) Filter {
	return Filter{Path: path, Condition: Condition{Field: f, Expr: e}}
}

// cmpOpts treats nil and empty slices alike: whether the parser allocated
// an empty list is not part of the contract, except Query.Select, which the
// tests check explicitly.
var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

// wantErr describes an expected *Error; empty fields are not checked.
type wantErr struct {
	status  int
	code    string
	message string
	details string
}

func checkErr(t *testing.T, err error, want wantErr) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want.code)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	var h interface{ HTTPStatus() int }
	if !errors.As(err, &h) || h.HTTPStatus() != e.Status {
		t.Errorf("HTTPStatus() does not report the status")
	}
	if want.status != 0 && e.Status != want.status {
		t.Errorf("status = %d, want %d", e.Status, want.status)
	}
	if want.code != "" && e.Code != want.code {
		t.Errorf("code = %q, want %q", e.Code, want.code)
	}
	if want.message != "" && e.Message != want.message {
		t.Errorf("message = %q\n          want %q", e.Message, want.message)
	}
	if want.details != "" && e.Details != want.details {
		t.Errorf("details = %q\n          want %q", e.Details, want.details)
	}
}

package rest

// RowArg is the relation whose row type is the function's single argument
// (a computed field of that relation), or nil.
func (f *Function) RowArg() *Relation { return f.rowArg }

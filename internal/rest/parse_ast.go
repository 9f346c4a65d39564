package rest

// This file holds the request AST that the parser produces and the SQL
// compiler consumes. Identifiers are kept exactly as the client wrote them
// (after URL decoding, unquoting and PostgREST's trimming): the compiler
// resolves each one against the schema cache and quotes it. Values are kept as
// raw strings: the compiler binds them as parameters and never splices them
// into SQL text.

// Request is one parsed REST request: what PostgREST calls the ApiRequest.
type Request struct {
	// Method is the HTTP method, upper case.
	Method string
	// Target is the resource the path names.
	Target Target
	// Profile is the schema asked for with Accept-Profile (GET, HEAD,
	// OPTIONS) or Content-Profile (POST, PUT, PATCH, DELETE); "" when the
	// header is absent. The handler checks it against the exposed schemas.
	Profile string
	// Query is the parsed query string.
	Query Query
	// Range is the top-level range of rows: the Range header (GET only)
	// intersected with the root limit and offset.
	Range Range
	// RangeUnit is the Range-Unit header, "items" when absent.
	RangeUnit string
	// Prefer holds the Prefer header(s).
	Prefer Preferences
	// Accept lists the media types of the Accept header(s), best first;
	// [*/*] when the header is absent. See [Negotiate].
	Accept []MediaType
	// ContentType is the media type of the request body,
	// application/json when the header is absent.
	ContentType MediaType
}

// TargetKind says what kind of resource a request path names.
type TargetKind uint8

const (
	// TargetSchema is the root path "/": the OpenAPI description.
	TargetSchema TargetKind = iota
	// TargetRelation is "/{name}": a table, view or materialized view.
	TargetRelation
	// TargetRoutine is "/rpc/{name}": a function.
	TargetRoutine
)

// Target is the resource named by the request path.
type Target struct {
	Kind TargetKind
	// Name is the relation or function name, "" for [TargetSchema].
	Name string
}

// Query is the parsed query string of a request.
type Query struct {
	// Select is the select= tree. It is [*] when select is absent and empty
	// (not nil) for "select=" (PostgREST then returns empty objects).
	Select []SelectItem
	// Filters are the horizontal filters, in query-string order. On a
	// routine read (GET or HEAD on /rpc) they are empty: see Args.
	Filters []Filter
	// Logic are the and=, or=, not.and= and not.or= trees, each at an
	// embedding path.
	Logic []Logic
	// Order are the order= parameters, each at an embedding path.
	Order []Order
	// Range is the root limit and offset (not the Range header).
	Range Range
	// EmbedRanges are the limit and offset of embedded resources
	// ("comments.limit=2"), one per path, in first-seen order.
	EmbedRanges []EmbedRange
	// Columns is columns=, nil when absent.
	Columns []string
	// OnConflict is on_conflict=, nil when absent.
	OnConflict []string
	// Args are, on a routine read only, every query key that is not reserved,
	// in order (a key repeated for a variadic argument appears once per
	// occurrence). See [Arg] for how the compiler tells arguments from
	// filters.
	Args []Arg
}

// Arg is one non-reserved query parameter of a routine read (GET or HEAD on
// /rpc/{fn}). It is a function argument or a filter on the function's result,
// and only the function's signature can tell: PostgREST takes a key whose
// value parses as a filter to be a filter and any other key to be an argument.
// The compiler should pass Name=Value as an argument when Name is a parameter
// of the function, use Filter when it is not and Filter is non-nil, and
// report an unknown argument otherwise.
type Arg struct {
	// Name and Value are the decoded key and value, untouched.
	Name  string
	Value string
	// Filter is the key and value parsed as a filter, or nil when they do
	// not parse as one.
	Filter *Filter
}

// SelectKind says what a [SelectItem] is.
type SelectKind uint8

const (
	// SelectStar is "*": every column.
	SelectStar SelectKind = iota
	// SelectField is a column or computed field, with optional JSON path,
	// alias, cast and aggregate: "alias:data->a::int", "amount.sum()".
	SelectField
	// SelectCount is the bare "count()" aggregate: count(*).
	SelectCount
	// SelectEmbed is an embedded resource: "alias:rel!hint!inner(...)".
	SelectEmbed
	// SelectSpread is a spread embedded resource: "...rel(...)".
	SelectSpread
)

// JoinType is the join of an embedded resource given with "!inner"/"!left".
type JoinType uint8

const (
	JoinDefault JoinType = iota // no !left or !inner
	JoinLeft                    // !left
	JoinInner                   // !inner
)

// AggregateFunc is an aggregate applied in select: "col.sum()".
type AggregateFunc uint8

const (
	AggNone AggregateFunc = iota
	AggSum
	AggAvg
	AggCount
	AggMax
	AggMin
)

// SelectItem is one node of the select= tree. Which fields are meaningful
// depends on Kind.
type SelectItem struct {
	Kind SelectKind
	// Alias is the "alias:" prefix, "" when absent. Not used by SelectStar
	// and SelectSpread.
	Alias string

	// Field is the column and its JSON path (SelectField).
	Field Field
	// Cast is the "::type" after the field (SelectField), "" when absent.
	// It holds only letters, digits, '_', '$' and inner spaces; the compiler
	// must still check it names a type.
	Cast string
	// Aggregate is the ".fn()" after the field (SelectField).
	Aggregate AggregateFunc
	// AggregateCast is the "::type" after the aggregate (SelectField with an
	// Aggregate, and SelectCount).
	AggregateCast string

	// Relation is the embedded relation, computed relationship or
	// foreign-key column name (SelectEmbed, SelectSpread).
	Relation string
	// Hint is the "!hint" that disambiguates the relationship: a foreign key
	// constraint name or a column (SelectEmbed, SelectSpread).
	Hint string
	// Join is "!inner" or "!left" (SelectEmbed, SelectSpread).
	Join JoinType
	// Children is the select list inside the parentheses; it may be empty.
	Children []SelectItem
}

// JSONArrow is a JSON path operator.
type JSONArrow uint8

const (
	// ArrowJSON is "->": the result stays json/jsonb.
	ArrowJSON JSONArrow = iota
	// ArrowText is "->>": the result is text.
	ArrowText
)

// JSONOp is one step of a JSON path: an arrow and a key or array index.
type JSONOp struct {
	Arrow JSONArrow
	// Index is true when Operand is an array index ("->0", "->-1"): an
	// optional '-' and ASCII digits. Otherwise Operand is an object key.
	Index   bool
	Operand string
}

// Field is a column name with an optional JSON path: "data->a->>b".
type Field struct {
	Name string
	JSON []JSONOp
}

// Operator is a filter operator.
type Operator uint8

// The filter operators, named after their query-string token.
const (
	OpEq         Operator = iota + 1 // eq: =
	OpNeq                            // neq: <>
	OpGt                             // gt: >
	OpGte                            // gte: >=
	OpLt                             // lt: <
	OpLte                            // lte: <=
	OpLike                           // like: LIKE, with '*' standing for '%'
	OpILike                          // ilike: ILIKE, with '*' standing for '%'
	OpMatch                          // match: ~
	OpIMatch                         // imatch: ~*
	OpIn                             // in: = ANY, value in OpExpr.List
	OpIs                             // is: IS, value in OpExpr.Is
	OpIsDistinct                     // isdistinct: IS DISTINCT FROM
	OpFTS                            // fts: @@ to_tsquery
	OpPLFTS                          // plfts: @@ plainto_tsquery
	OpPHFTS                          // phfts: @@ phraseto_tsquery
	OpWFTS                           // wfts: @@ websearch_to_tsquery
	OpCs                             // cs: @>
	OpCd                             // cd: <@
	OpOv                             // ov: &&
	OpSl                             // sl: <<
	OpSr                             // sr: >>
	OpNxl                            // nxl: &>
	OpNxr                            // nxr: &<
	OpAdj                            // adj: -|-
)

// Quantifier is the "(any)"/"(all)" modifier of eq, gt, gte, lt, lte, like,
// ilike, match and imatch: the value is then a PostgreSQL array literal.
type Quantifier uint8

const (
	QuantNone Quantifier = iota
	QuantAny
	QuantAll
)

// IsValue is the operand of the "is" operator.
type IsValue uint8

const (
	IsNone    IsValue = iota // not an "is" filter
	IsNull                   // is.null
	IsNotNull                // is.not_null
	IsTrue                   // is.true
	IsFalse                  // is.false
	IsUnknown                // is.unknown
)

// OpExpr is the operator and operand of a filter: "not.eq(any).{1,2}".
type OpExpr struct {
	// Negate is the "not." prefix.
	Negate bool
	Op     Operator
	// Quantifier is "(any)" or "(all)"; only on quantifiable operators.
	Quantifier Quantifier
	// Language is the text search configuration of fts, plfts, phfts and
	// wfts: "fts(english).cat"; "" when absent.
	Language string
	// Value is the operand of every operator but in and is, raw. For like
	// and ilike the compiler replaces '*' with '%'.
	Value string
	// List is the operand of in, unquoted: in.(a,"b,c") is [a, b,c].
	// in.() is the empty list.
	List []string
	// Is is the operand of is.
	Is IsValue
}

// Condition is a field and an operator expression: the body of a filter and
// a leaf of a logic tree.
type Condition struct {
	Field Field
	Expr  OpExpr
}

// Filter is one horizontal filter: "comments.author->>name=eq.x" has Path
// [comments], Field author->>name and Expr eq.x.
type Filter struct {
	// Path is the embedding path: names (or aliases) of embedded resources
	// from the root. Nil for a filter on the root resource.
	Path []string
	Condition
}

// LogicOp is the operator of a logic tree node.
type LogicOp uint8

const (
	LogicAnd LogicOp = iota
	LogicOr
)

// LogicExpr is a group of a logic tree: "not.or(a.eq.1,and(b.gt.2,c.lt.3))".
type LogicExpr struct {
	Negate   bool
	Op       LogicOp
	Children []LogicNode
}

// LogicNode is a child of a [LogicExpr]: exactly one of Cond and Expr is set.
// A Cond whose field names an embedded resource ("clients.not.is.null") is a
// null test on the embedding, which the compiler resolves.
type LogicNode struct {
	Cond *Condition
	Expr *LogicExpr
}

// Logic is one and=/or= query parameter: its tree and embedding path.
type Logic struct {
	Path []string
	LogicExpr
}

// OrderDir is the sort direction of an order term.
type OrderDir uint8

const (
	OrderDefault OrderDir = iota
	OrderAsc
	OrderDesc
)

// OrderNulls is the placement of nulls of an order term.
type OrderNulls uint8

const (
	NullsDefault OrderNulls = iota
	NullsFirst
	NullsLast
)

// OrderTerm is one term of order=: "col->a.desc.nullslast", or, for a to-one
// embedded resource, "rel(col).asc".
type OrderTerm struct {
	// Relation is the embedded resource of a "rel(col)" term, "" otherwise.
	Relation string
	Field    Field
	Dir      OrderDir
	Nulls    OrderNulls
}

// Order is one order= parameter: its terms and embedding path.
type Order struct {
	Path  []string
	Terms []OrderTerm
}

// NoLimit is [Range.Limit] when no limit applies.
const NoLimit int64 = -1

// Range is an offset and a row limit.
type Range struct {
	Offset int64
	// Limit is the maximum number of rows, or [NoLimit].
	Limit int64
}

// AllRows is the range that selects every row.
var AllRows = Range{Offset: 0, Limit: NoLimit}

// EmbedRange is the limit and offset of the embedded resource at Path.
type EmbedRange struct {
	Path []string
	Range
}

package corpus

// This file declares the shared Sample type on the sentinel-xsspath
// branch only, so that xss.go and traversal.go build alone; it moves to
// doc.go (and this file goes away) when the corpus branches merge.

// Sample is one labelled value: Label is "benign", "sqli", "sqli_pg",
// "xss" or "traversal".
type Sample struct {
	Value string
	Label string
}

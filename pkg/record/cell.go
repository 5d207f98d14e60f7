package record

// Kind says how a reader saw a cell's value, and so how far inference may go.
type Kind uint8

const (
	// Null is a missing value.
	Null Kind = iota
	// Text is untyped text (a CSV field): inference decides its type.
	Text
	// Quoted is text the file marked as a string (a JSON string): it is
	// inferred only as a date or timestamp, never as a number or boolean.
	Quoted
	// Number is a numeric literal (a JSON number): Integer or Float.
	Number
	// Bool is "true" or "false".
	Bool
	// Document is a JSON document (a nested JSON object or array).
	Document
	// Empty is an empty string the file marked as present: a quoted empty
	// CSV field, which PostgreSQL's COPY reads as "" where an unquoted
	// empty field is null. It is "" in a String column and null in a
	// column of any other type, and it never narrows or widens an
	// inferred type (but a column that has held nothing but Empty cells
	// and nulls is String: see Builder.Flush). Its Text is ignored
	// (readers leave it empty).
	Empty
)

// Cell is one value as a reader saw it. Readers reuse their cell slices: a
// cell's Text is valid only until the reader's next row.
type Cell struct {
	Text string
	Kind Kind
}

package record

// IsNull reports whether c is a missing value: a Null cell, or an empty
// Text cell (readers hand over an empty CSV field as Text ""). An empty
// Quoted cell is the empty string, not null, and so is an Empty cell,
// which is null only in a column whose type is not String.
func (c Cell) IsNull() bool {
	return c.Kind == Null || (c.Kind == Text && c.Text == "")
}

// nullIn reports whether c is null in a column of type t: when it is
// missing (see IsNull), or when it is Empty and t is not String.
func (c Cell) nullIn(t Type) bool {
	return c.IsNull() || (c.Kind == Empty && t != String)
}

// Infer returns the narrowest type of one cell, as far as its Kind allows:
//
//   - Null, empty Text and Empty: Unknown (an Empty cell is the empty
//     string, but it leaves the type to the column's other values).
//   - Bool: Boolean ("true" or "false" in any case; other text: String).
//   - Number: Integer if it is an int64 literal (a leading '+' and leading
//     zeros allowed), else Float if it parses as a float64 (an integer
//     literal too big for int64 is a Float), else String.
//   - Document: JSON.
//   - Quoted: Date or Timestamp if it is one, else String.
//   - Text: the first of these that matches, else String:
//     Integer: -?(0|[1-9][0-9]*) within int64. Only '-' is a sign, and a
//     leading zero makes text a String ("02134" is a zip code). An
//     integer literal beyond int64 is a String too, so that long
//     identifiers keep every digit.
//     Float: -?(0|[1-9][0-9]*)?\.[0-9]* with a digit on at least one side
//     of the '.', or an integer part, each with an optional exponent
//     [eE][+-]?[0-9]+ ("1.", ".5", "1e3", "3.0E-2"); no NaN or Inf words,
//     no thousands separators, no surrounding spaces; a value beyond
//     float64 is a String.
//     Boolean: true or false in any case (not 0/1, not yes/no).
//     Date: YYYY-MM-DD, a valid date from year 0001 to 9999.
//     Timestamp: a date, then 'T' (or 't' or a space), HH:MM, optionally
//     :SS and .F (1 to 9 digits, kept to the microsecond), optionally Z,
//     ±HH, ±HHMM or ±HH:MM. A timestamp without a zone is UTC.
//
// Infer allocates nothing.
func Infer(c Cell) Type {
	t, _ := parseCell(c)
	return t
}

// parseCell infers c's type and returns its value in that type (see
// parse.go for the encoding). Unknown means null; String and JSON have no
// value.
func parseCell(c Cell) (Type, uint64) {
	s := c.Text
	switch c.Kind {
	case Null, Empty:
		return Unknown, 0
	case Text:
		if s == "" {
			return Unknown, 0
		}
		return parseText(s)
	case Quoted:
		if t, v, ok := parseDateTime(s); ok {
			return t, v
		}
		return String, 0
	case Number:
		return parseNumeric(s)
	case Bool:
		if v, ok := parseBoolStrict(s); ok {
			return Boolean, v
		}
		return String, 0
	case Document:
		return JSON, 0
	}
	return String, 0
}

// parseText infers untyped, non-empty text.
func parseText(s string) (Type, uint64) {
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		if looksLikeDate(s) {
			if t, v, ok := parseDateTime(s); ok {
				return t, v
			}
			return String, 0
		}
		return parseTextNumber(s)
	case c == '-' || c == '.':
		return parseTextNumber(s)
	case c|0x20 == 't' || c|0x20 == 'f':
		if v, ok := parseBoolStrict(s); ok {
			return Boolean, v
		}
	}
	return String, 0
}

// parseNumeric parses the text of a cell the file marked as a number.
func parseNumeric(s string) (Type, uint64) {
	if t, v := parseNumber(s, numericKind); t != String {
		return t, v
	}
	// Numbers written by other means ("NaN", "+Inf", "0x1p-2").
	return floatSlow(s)
}

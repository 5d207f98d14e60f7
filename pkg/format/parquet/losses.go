package parquet

import (
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// A value that pkg/record cannot hold, or that the file holds against the
// rules of its type, loads as null, and never in silence: each column
// counts such values by kind, with the line of the first, and the reader
// reports one issue per column and kind once the file is read.

// loss is a kind of value a column loads as null.
type loss uint8

const (
	lossRange loss = iota // a date or instant outside the years 1 to 9999
	lossTime              // a time of day outside 00:00 to 24:00
	lossNaN               // NaN or an infinity (no destination column type holds them all)
	numLosses
)

// what names n values of kind k for an issue.
func (k loss) what(n int64) string {
	switch k {
	case lossRange:
		return plural(n, "date or instant", "dates or instants") + " outside the years 1 to 9999"
	case lossTime:
		return plural(n, "time of day", "times of day") + " outside 00:00 to 24:00"
	}
	return plural(n, "NaN or infinite value", "NaN or infinite values")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tally counts a column's values of one kind loaded as null.
type tally struct {
	n     int64
	first int64 // line of the first
}

// losses are a column's tallies: top-level values, and values inside its
// nested (JSON) values, which become null within the document.
type losses struct {
	top, nested [numLosses]tally
}

func (l *losses) add(t *[numLosses]tally, k loss, n, line int64) {
	if n == 0 {
		return
	}
	if t[k].n == 0 {
		t[k].first = line
	}
	t[k].n += n
}

// issues returns the issues of column name, one per kind it met.
func (l *losses) issues(name string) []string {
	var out []string
	for k := range numLosses {
		if t := l.top[k]; t.n > 0 {
			out = append(out, fmt.Sprintf("Column %q has %s, loaded as null (the first at line %d)", name, k.what(t.n), t.first))
		}
		if t := l.nested[k]; t.n > 0 {
			out = append(out, fmt.Sprintf("Column %q has %s in its values, loaded as null (the first at line %d)", name, k.what(t.n), t.first))
		}
	}
	return out
}

// badVariant returns what unshreddable finds wrong with the first variant
// group in the tree at n (a variant column, or a variant inside a list or
// struct), or "".
func badVariant(n schema.Node) string {
	g, ok := n.(*schema.GroupNode)
	if !ok {
		return ""
	}
	if _, ok := g.LogicalType().(schema.VariantLogicalType); ok {
		return unshreddable(g)
	}
	for i := 0; i < g.NumFields(); i++ {
		if bad := badVariant(g.Field(i)); bad != "" {
			return bad
		}
	}
	return ""
}

// unshreddable returns the first typed_value of the shredded variant
// group n whose type the Variant spec does not allow (an unsigned
// integer, INT96, a bare FIXED_LEN_BYTE_ARRAY, a time in milliseconds),
// described for an issue, or "" when every one is allowed. Such a
// column's values cannot be read: arrow-go would load them as null.
func unshreddable(n schema.Node) string {
	g, ok := n.(*schema.GroupNode)
	if !ok {
		return ""
	}
	for i := 0; i < g.NumFields(); i++ {
		f := g.Field(i)
		switch {
		case f.Name() == "typed_value":
			if bad := typedValue(f); bad != "" {
				return bad
			}
		case f.Name() != "value" && f.Name() != "metadata":
			// a field of a shredded object, or the element of a list
			if bad := unshreddable(f); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// typedValue checks one typed_value node: a primitive of an allowed type,
// a LIST of shredded elements, or a group of shredded fields.
func typedValue(n schema.Node) string {
	p, ok := n.(*schema.PrimitiveNode)
	if !ok {
		g := n.(*schema.GroupNode)
		if _, isList := g.LogicalType().(schema.ListLogicalType); isList && g.NumFields() == 1 {
			if rep, ok := g.Field(0).(*schema.GroupNode); ok && rep.NumFields() == 1 {
				return unshreddable(rep.Field(0)) // repeated group list { required group element }
			}
		}
		return unshreddable(g)
	}
	if shreddable(p) {
		return ""
	}
	what := p.PhysicalType().String()
	if p.PhysicalType() == parquet.Types.FixedLenByteArray {
		what = fmt.Sprintf("%s(%d)", what, p.TypeLength())
	}
	if lt := p.LogicalType(); lt != nil && !lt.Equals(schema.NoLogicalType{}) {
		what += " " + lt.String()
	}
	return what
}

// shreddable reports whether a typed_value primitive has a type of the
// Variant spec's shredded value types.
func shreddable(p *schema.PrimitiveNode) bool {
	lt := p.LogicalType()
	none := lt == nil || lt.Equals(schema.NoLogicalType{})
	switch p.PhysicalType() {
	case parquet.Types.Boolean, parquet.Types.Float, parquet.Types.Double:
		return none
	case parquet.Types.Int32:
		switch t := lt.(type) {
		case schema.IntLogicalType:
			return t.IsSigned() && t.BitWidth() <= 32
		case schema.DecimalLogicalType:
			return t.Precision() <= 9
		case schema.DateLogicalType:
			return true
		}
		return none
	case parquet.Types.Int64:
		switch t := lt.(type) {
		case schema.IntLogicalType:
			return t.IsSigned()
		case schema.DecimalLogicalType:
			return t.Precision() <= 18
		case schema.TimeLogicalType:
			return t.TimeUnit() == schema.TimeUnitMicros
		case schema.TimestampLogicalType:
			return t.TimeUnit() == schema.TimeUnitMicros || t.TimeUnit() == schema.TimeUnitNanos
		}
		return none
	case parquet.Types.ByteArray:
		switch lt.(type) {
		case schema.StringLogicalType, schema.DecimalLogicalType:
			return true
		}
		return none
	case parquet.Types.FixedLenByteArray:
		switch lt.(type) {
		case schema.UUIDLogicalType:
			return p.TypeLength() == 16
		case schema.DecimalLogicalType:
			return true
		}
	}
	return false
}

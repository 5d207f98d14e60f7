package fakewarehouse

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/filedge/filedge/pkg/record"
)

// castFunc is CAST(value AS to) on canonical values: __cast(value, from,
// to), from the Databricks type of the value when the statement says it
// (a column), "" when it does not (then the value's storage decides).
func castFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	v := args[0]
	from, _ := args[1].(string)
	to, _ := args[2].(string)
	if v == nil {
		return nil, nil
	}
	bad := func() (driver.Value, error) {
		return nil, fmt.Errorf("__cast: cannot cast %v (%s) to %s", v, from, to)
	}
	switch {
	case to == "STRING":
		switch x := v.(type) {
		case int64:
			if from == "BOOLEAN" {
				return strconv.FormatBool(x != 0), nil
			}
			return strconv.FormatInt(x, 10), nil
		case float64:
			return javaDouble(x), nil
		case string:
			if from == "TIMESTAMP" {
				return strings.TrimRight(strings.TrimRight(x, "0"), "."), nil
			}
			return x, nil
		}
	case to == "DOUBLE":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return bad()
			}
			return f, nil
		}
	case to == "BIGINT":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return int64(x), nil
		}
	case to == "TIMESTAMP":
		if x, ok := v.(string); ok {
			if d, err := time.Parse(time.DateOnly, x); err == nil {
				return d.Format(tsLayout), nil
			}
			if tsPattern.MatchString(x) {
				return x, nil
			}
		}
	case strings.HasPrefix(to, "DECIMAL("):
		t, err := record.ParseType(strings.ToLower(to))
		if err != nil {
			return bad()
		}
		var text string
		switch x := v.(type) {
		case int64:
			text = strconv.FormatInt(x, 10)
		case string:
			text = x
		default:
			return bad()
		}
		out, err := record.ConvertDecimal(record.Cell{Text: text, Kind: record.Quoted}, t)
		if err != nil {
			return nil, fmt.Errorf("__cast: %s does not fit %s: %v", text, to, err)
		}
		return out, nil
	}
	return bad()
}

// javaDouble writes a double as Databricks casts it to STRING (Java's
// Double.toString): a decimal with at least one fraction digit between
// 10^-3 and 10^7, computerized scientific notation otherwise.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+20
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	return mant + "E" + strings.TrimPrefix(exp, "+")
}

// dateFormatFunc is date_format(timestamp, pattern) for the one pattern the
// destination uses, RFC 3339 with microseconds.
func dateFormatFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil {
		return nil, nil
	}
	v, _ := args[0].(string)
	pattern, _ := args[1].(string)
	if pattern != "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX" {
		return nil, fmt.Errorf("date_format: the fake knows no pattern %q", pattern)
	}
	t, err := time.Parse(tsLayout, v)
	if err != nil {
		return nil, fmt.Errorf("date_format: %q is no timestamp", v)
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), nil
}

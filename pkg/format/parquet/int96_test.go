package parquet_test

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/filedge/filedge/pkg/format"
)

// int96Instants are the instants of int96NestedFile: most outside the
// years 1677 to 2262 that Arrow nanoseconds hold, some outside the years 1
// to 9999 that pkg/record holds, one with nanoseconds.
var int96Instants = []time.Time{
	time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(1500, 6, 15, 12, 34, 56, 789_012_345, time.UTC),
	time.Date(1677, 9, 21, 0, 12, 43, 145_223_000, time.UTC),
	time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
	time.Date(2024, 2, 29, 8, 0, 0, 123_456_000, time.UTC),
	time.Date(2262, 4, 11, 23, 47, 16, 854_776_000, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC),
}

// toInt96 encodes t as Spark and Impala do: nanoseconds of the day, then
// the Julian day.
func toInt96(t time.Time) parquet.Int96 {
	const julianUnixEpoch = 2_440_588
	secs := t.Unix()
	days := secs / 86_400
	if secs%86_400 < 0 {
		days--
	}
	nanos := (secs-days*86_400)*1e9 + int64(t.Nanosecond())
	var v parquet.Int96
	binary.LittleEndian.PutUint64(v[:8], uint64(nanos))
	binary.LittleEndian.PutUint32(v[8:], uint32(days+julianUnixEpoch))
	return v
}

// instantJSON is t as the reader writes it inside JSON: to the
// microsecond, null outside the years 1 to 9999.
func instantJSON(t time.Time) string {
	if t.Year() < 1 || t.Year() > 9999 {
		return "null"
	}
	return strconv.Quote(t.Truncate(time.Microsecond).Format("2006-01-02T15:04:05.999999Z"))
}

// int96Row is row i of int96NestedFile: its instant and the shape of its
// nested values.
type int96Row struct {
	at   time.Time
	next time.Time
	// shape: 0 every field set, 1 nulls (list, struct, map), 2 empty list
	// and map, a struct of nulls.
	shape int
}

func int96Rows() []int96Row {
	rows := make([]int96Row, 0, 3*len(int96Instants))
	for shape := 0; shape < 3; shape++ {
		for i, at := range int96Instants {
			rows = append(rows, int96Row{at: at, next: int96Instants[(i+1)%len(int96Instants)], shape: shape})
		}
	}
	return rows
}

// int96RawBytes is the value of the 12-byte FIXED_LEN_BYTE_ARRAY beside
// the nested INT96, which must keep loading as base64.
var int96RawBytes = []byte("abcdefghijkl")

// want returns the cells the reader writes for the row: the top-level
// INT96, then the list, the struct and the map, as text ("null" for a null
// cell).
func (r int96Row) want() []string {
	switch r.shape {
	case 1:
		return []string{strings.Trim(instantJSON(r.at), `"`), "null", "null", "null"}
	case 2:
		return []string{strings.Trim(instantJSON(r.at), `"`), "[]", `{"at":null,"raw":null}`, "{}"}
	}
	raw := strconv.Quote(base64.StdEncoding.EncodeToString(int96RawBytes))
	return []string{
		strings.Trim(instantJSON(r.at), `"`),
		"[" + instantJSON(r.at) + ",null," + instantJSON(r.next) + "]",
		`{"at":` + instantJSON(r.at) + `,"raw":` + raw + "}",
		`{"k":` + instantJSON(r.at) + `,"n":null}`,
	}
}

// int96NestedFile writes int96Rows with arrow-go's low-level writer, which
// takes INT96 values as they are (pqarrow writes only Arrow nanoseconds):
//
//	optional int96 ts
//	optional group events (LIST) { repeated group list { optional int96 element } }
//	optional group s { optional int96 at; optional fixed_len_byte_array(12) raw }
//	optional group m (MAP) { repeated group key_value { required binary key (STRING); optional int96 value } }
func int96NestedFile(t testing.TB, props ...parquet.WriterProperty) []byte {
	t.Helper()
	opt, req, rep := parquet.Repetitions.Optional, parquet.Repetitions.Required, parquet.Repetitions.Repeated
	int96 := func(name string) schema.Node {
		return schema.MustPrimitive(schema.NewPrimitiveNode(name, opt, parquet.Types.Int96, -1, -1))
	}
	root := schema.MustGroup(schema.NewGroupNode("schema", req, schema.FieldList{
		int96("ts"),
		schema.MustGroup(schema.NewGroupNodeLogical("events", opt, schema.FieldList{
			schema.MustGroup(schema.NewGroupNode("list", rep, schema.FieldList{int96("element")}, -1)),
		}, schema.ListLogicalType{}, -1)),
		schema.MustGroup(schema.NewGroupNode("s", opt, schema.FieldList{
			int96("at"),
			schema.MustPrimitive(schema.NewPrimitiveNode("raw", opt, parquet.Types.FixedLenByteArray, -1, 12)),
		}, -1)),
		schema.MustGroup(schema.NewGroupNodeLogical("m", opt, schema.FieldList{
			schema.MustGroup(schema.NewGroupNode("key_value", rep, schema.FieldList{
				schema.MustPrimitive(schema.NewPrimitiveNodeLogical("key", req, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
				int96("value"),
			}, -1)),
		}, schema.MapLogicalType{}, -1)),
	}, -1))
	rows := int96Rows()
	var ts, events, at, raw, key, value leaf
	level := func(l *leaf, def, rep int16) { l.defs, l.reps = append(l.defs, def), append(l.reps, rep) }
	for _, r := range rows {
		level(&ts, 1, 0)
		ts.int96 = append(ts.int96, toInt96(r.at))
		switch r.shape {
		case 0:
			level(&events, 3, 0)
			level(&events, 2, 1)
			level(&events, 3, 1)
			events.int96 = append(events.int96, toInt96(r.at), toInt96(r.next))
			level(&at, 2, 0)
			at.int96 = append(at.int96, toInt96(r.at))
			level(&raw, 2, 0)
			raw.fixed = append(raw.fixed, int96RawBytes)
			level(&key, 2, 0)
			level(&key, 2, 1)
			key.bytes = append(key.bytes, parquet.ByteArray("k"), parquet.ByteArray("n"))
			level(&value, 3, 0)
			level(&value, 2, 1)
			value.int96 = append(value.int96, toInt96(r.at))
		case 1:
			for _, l := range []*leaf{&events, &at, &raw, &key, &value} {
				level(l, 0, 0)
			}
		case 2:
			for _, l := range []*leaf{&events, &at, &raw, &key, &value} {
				level(l, 1, 0)
			}
		}
	}
	return writeLeaves(t, root, props, &ts, &events, &at, &raw, &key, &value)
}

// TestNestedInt96IsExactOverTheWholeRange proves that INT96 timestamps
// inside lists, structs and maps load as exactly as top-level ones (to the
// microsecond over the years 1 to 9999, null with an issue outside), where
// arrow-go converts them through nanoseconds and fails outside the years
// 1677 to 2262; and that a 12-byte FIXED_LEN_BYTE_ARRAY beside them still
// loads as base64.
func TestNestedInt96IsExactOverTheWholeRange(t *testing.T) {
	writers := map[string][]parquet.WriterProperty{
		"plain v1":      {parquet.WithDictionaryDefault(false)},
		"dictionary v1": {parquet.WithDictionaryDefault(true)},
		"snappy v2": {
			parquet.WithDictionaryDefault(false),
			parquet.WithDataPageVersion(parquet.DataPageV2),
			parquet.WithCompression(compress.Codecs.Snappy),
		},
	}
	for name, props := range writers {
		t.Run(name, func(t *testing.T) {
			const path = "int96_nested.parquet"
			rec, err := read(t.Context(), t, path, int96NestedFile(t, props...), format.Options{})
			checkRead(t, path, rec, err)
			if err != nil {
				t.Fatal(err)
			}
			tbl := rec.Result.Tables[0]
			var cols []string
			for _, c := range tbl.Columns {
				cols = append(cols, c.Name+" "+c.Type.String())
			}
			if got := strings.Join(cols, ", "); got != "ts timestamp, events json, s json, m json" {
				t.Fatalf("columns %s", got)
			}
			rows := int96Rows()
			if len(tbl.Rows) != len(rows) {
				t.Fatalf("%d rows, want %d", len(tbl.Rows), len(rows))
			}
			for i, r := range rows {
				want := r.want()
				for c, cell := range tbl.Rows[i].Cells {
					if got := jsonOrNull(cell); got != want[c] {
						t.Errorf("row %d, %s = %s, want %s", i+1, tbl.Columns[c].Name, got, want[c])
					}
				}
			}
			// The first instant out of range (year 10000) is at row 8,
			// and in the list of row 7.
			wantIssues := []string{
				`Column "ts" has 6 dates or instants outside the years 1 to 9999, loaded as null (the first at line 8)`,
				`Column "events" has 4 dates or instants outside the years 1 to 9999 in its values, loaded as null (the first at line 7)`,
				`Column "s" has 2 dates or instants outside the years 1 to 9999 in its values, loaded as null (the first at line 8)`,
				`Column "m" has 2 dates or instants outside the years 1 to 9999 in its values, loaded as null (the first at line 8)`,
			}
			if got := strings.Join(rec.Result.Issues, "\n"); got != strings.Join(wantIssues, "\n") {
				t.Errorf("issues:\n%s\nwant:\n%s", got, strings.Join(wantIssues, "\n"))
			}
		})
	}
}

package fakewarehouse

import (
	"fmt"
	"strings"

	"github.com/apache/thrift/lib/go/thrift"
)

// TTypeId values of the types results carry.
var typeIDs = map[string]int32{
	"BOOLEAN": 0, "BIGINT": 4, "DOUBLE": 6, "STRING": 7, "TIMESTAMP": 8, "DECIMAL": 15, "DATE": 17,
}

func typeID(t string) int32 {
	base, _, _ := strings.Cut(t, "(")
	if id, ok := typeIDs[base]; ok {
		return id
	}
	return typeIDs["STRING"]
}

// status is the result's TGetOperationStatusResp.
func (r *result) status() strct {
	if r.err != nil {
		return strct{
			{1, thrift.STRUCT, status(statusSuccess)},
			{2, thrift.I32, stateError},
			{3, thrift.STRING, r.err.state},
			{5, thrift.STRING, r.err.msg},
			{1281, thrift.STRING, r.err.msg},
		}
	}
	return strct{
		{1, thrift.STRUCT, status(statusSuccess)},
		{2, thrift.I32, stateFinished},
		{9, thrift.BOOL, len(r.cols) > 0},
		{11, thrift.I64, r.modified},
	}
}

// metadata is the result's TGetResultSetMetadataResp: its schema, and
// rows in columns.
func (r *result) metadata() strct {
	descs := make([]value, len(r.cols))
	for i, name := range r.cols {
		descs[i] = strct{
			{1, thrift.STRING, name},
			{2, thrift.STRUCT, strct{{1, thrift.LIST, list{thrift.STRUCT, []value{
				strct{{1, thrift.STRUCT, strct{{1, thrift.I32, typeID(r.types[i])}}}},
			}}}}},
			{3, thrift.I32, int32(i + 1)},
		}
	}
	return strct{
		{1, thrift.STRUCT, status(statusSuccess)},
		{2, thrift.STRUCT, strct{{1, thrift.LIST, list{thrift.STRUCT, descs}}}},
		{1281, thrift.I32, rowSetColumns},
	}
}

// fetch is the next page of the result's rows, at most max of them, as a
// TFetchResultsResp of columns.
func (r *result) fetch(max int64) strct {
	r.mu.Lock()
	defer r.mu.Unlock()
	if max <= 0 {
		max = 10000
	}
	start := r.offset
	end := min(len(r.rows), start+int(max))
	r.offset = end
	rows := r.rows[start:end]
	cols := make([]value, len(r.cols))
	for c := range r.cols {
		nulls := make([]byte, (len(rows)+7)/8)
		var (
			id    int16
			elem  thrift.TType
			items = make([]value, len(rows))
		)
		base, _, _ := strings.Cut(r.types[c], "(")
		switch base {
		case "BOOLEAN":
			id, elem = 1, thrift.BOOL
		case "BIGINT":
			id, elem = 5, thrift.I64
		case "DOUBLE":
			id, elem = 6, thrift.DOUBLE
		default:
			id, elem = 7, thrift.STRING
		}
		for i, row := range rows {
			v := row[c]
			if v == nil {
				nulls[i/8] |= 1 << (i % 8)
			}
			switch elem {
			case thrift.BOOL:
				n, _ := v.(int64)
				items[i] = n != 0
			case thrift.I64:
				n, _ := v.(int64)
				items[i] = n
			case thrift.DOUBLE:
				switch x := v.(type) {
				case float64:
					items[i] = x
				case int64:
					items[i] = float64(x)
				default:
					items[i] = 0.0
				}
			default:
				switch x := v.(type) {
				case string:
					items[i] = x
				case []byte:
					items[i] = string(x)
				case nil:
					items[i] = ""
				default:
					items[i] = fmt.Sprint(x)
				}
			}
		}
		cols[c] = strct{{id, thrift.STRUCT, strct{{1, thrift.LIST, list{elem, items}}, {2, thrift.STRING, nulls}}}}
	}
	return strct{
		{1, thrift.STRUCT, status(statusSuccess)},
		{2, thrift.BOOL, end < len(r.rows)},
		{3, thrift.STRUCT, strct{
			{1, thrift.I64, int64(start)},
			{2, thrift.LIST, list{thrift.STRUCT, nil}},
			{3, thrift.LIST, list{thrift.STRUCT, cols}},
		}},
	}
}

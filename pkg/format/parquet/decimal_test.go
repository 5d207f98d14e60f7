package parquet_test

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// TestDecimalsLoadWithTheirPrecisionAndScaleExactly reads DECIMAL columns
// stored as INT32, INT64 and FIXED_LEN_BYTE_ARRAY (Decimal128 and
// Decimal256) through the Builder, as the parser does: each is a decimal
// column of the file's precision and scale holding every digit.
func TestDecimalsLoadWithTheirPrecisionAndScaleExactly(t *testing.T) {
	fields := []arrow.Field{
		{Name: "int32", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
		{Name: "int64", Type: &arrow.Decimal128Type{Precision: 18, Scale: 0}, Nullable: true},
		{Name: "money", Type: &arrow.Decimal128Type{Precision: 16, Scale: 2}, Nullable: true},
		{Name: "d38", Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}, Nullable: true},
		{Name: "d76", Type: &arrow.Decimal256Type{Precision: 76, Scale: 20}, Nullable: true},
	}
	n128 := func(s string, p, sc int32) decimal128.Num {
		v, err := decimal128.FromString(s, p, sc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	big76, _ := new(big.Int).SetString(strings.Repeat("9", 76), 10)
	rows := [][]string{
		{"1234567.89", "-999999999999999999", "12345678901234.56", "1234567890123456789012345678.0123456789", strings.Repeat("9", 56) + "." + strings.Repeat("9", 20)},
		{"-0.01", "0", "-0.01", "-0.0000000001", "-" + strings.Repeat("9", 56) + "." + strings.Repeat("9", 20)},
		{"0.00", "null", "0.00", "null", "0." + strings.Repeat("0", 19) + "1"},
	}
	rec := build(t, fields, len(rows), func(b *array.RecordBuilder, r int) {
		row := rows[r]
		for i, f := range fields[:4] {
			if row[i] == "null" {
				b.Field(i).AppendNull()
				continue
			}
			dt := f.Type.(*arrow.Decimal128Type)
			b.Field(i).(*array.Decimal128Builder).Append(n128(row[i], dt.Precision, dt.Scale))
		}
		switch r {
		case 0:
			b.Field(4).(*array.Decimal256Builder).Append(decimal256.FromBigInt(big76))
		case 1:
			b.Field(4).(*array.Decimal256Builder).Append(decimal256.FromBigInt(new(big.Int).Neg(big76)))
		default:
			b.Field(4).(*array.Decimal256Builder).Append(decimal256.FromI64(1))
		}
	})
	defer rec.Release()
	data := writeParquet(t, rec, 1<<20, []parquet.WriterProperty{parquet.WithStoreDecimalAsInteger(true)}, pqarrow.WithStoreSchema())
	got, err := read(t.Context(), t, "decimals.parquet", data, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Result.Issues) != 0 {
		t.Errorf("issues %q", got.Result.Issues)
	}
	tbl := got.Result.Tables[0]
	if types := fmt.Sprint(tbl.Columns); types != "[{int32 decimal(9,2)} {int64 decimal(18,0)} {money decimal(16,2)} {d38 decimal(38,10)} {d76 decimal(76,20)}]" {
		t.Fatalf("columns %s", types)
	}
	batch, refused, err := tbl.Build(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Release()
	if len(refused) > 0 {
		t.Errorf("refused rows %q", refused)
	}
	for i := range fields {
		var want []string
		for _, row := range rows {
			want = append(want, row[i])
		}
		if got := formattest.ValueTexts(batch.Column(i + 1)); !slices.Equal(got, want) {
			t.Errorf("column %s: %q, want %q", fields[i].Name, got, want)
		}
	}
}

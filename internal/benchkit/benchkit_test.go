package benchkit

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestWriteOrdersIsSeededAndWellFormed(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteOrders(&a, 1000); err != nil {
		t.Fatal(err)
	}
	if err := WriteOrders(&b, 1000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs wrote different files")
	}
	recs, err := csv.NewReader(&a).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1001 {
		t.Errorf("%d records, want a header and 1000 rows", len(recs))
	}
	for i, r := range recs {
		if len(r) != 12 {
			t.Fatalf("record %d has %d fields, want 12", i, len(r))
		}
	}
}

package parquet

import (
	"bytes"
	"strings"
	"testing"
)

// A FileMetaData in Thrift's compact protocol, by hand: version 1, a
// schema of a root and one BYTE_ARRAY column "g" whose logical type is
// union member 17 (GEOMETRY, which arrow-go cannot read) followed by an
// unknown field 12, no rows, no row groups.
var (
	footerHead = []byte{
		0x15, 0x02, // 1: version = 1
		0x19, 0x2c, // 2: schema, a list of 2 structs
		0x48, 0x04, 'r', 'o', 'o', 't', 0x15, 0x02, 0x00, // {4: name "root", 5: num_children 1}
		0x15, 0x0c, // {1: type BYTE_ARRAY
		0x38, 0x01, 'g', // 4: name "g"
	}
	footerLogical = []byte{0x6c, 0x0c, 0x22, 0x00, 0x00} // 10: logicalType {17: {}}
	footerAfter   = []byte{0x25, 0x02, 0x00}             // 12: 1}
	footerTail    = []byte{0x16, 0x00, 0x19, 0x0c, 0x00} // 3: num_rows 0, 4: row_groups []
)

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestSanitizeFooterDropsLogicalTypesArrowCannotRead(t *testing.T) {
	in := concat(footerHead, footerLogical, footerAfter, footerTail)
	out, changes, err := sanitizeFooter(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	dropped := changes.dropped
	// Field 12 now follows field 4: its header's delta becomes 8.
	want := concat(footerHead, []byte{0x85, 0x02, 0x00}, footerTail)
	if !bytes.Equal(out, want) {
		t.Errorf("sanitized to\n% x\nwant\n% x", out, want)
	}
	if len(dropped) != 1 || dropped[0].column != "g" || dropped[0].field != 17 {
		t.Errorf("dropped %+v", dropped)
	}
}

func TestSanitizeFooterKeepsWhatArrowReads(t *testing.T) {
	str := []byte{0x6c, 0x1c, 0x00, 0x00} // 10: logicalType {1: STRING {}}
	in := concat(footerHead, str, footerAfter, footerTail)
	out, changes, err := sanitizeFooter(in, nil)
	if err != nil || !bytes.Equal(out, in) || len(changes.dropped) != 0 || len(changes.int96) != 0 {
		t.Errorf("sanitized to % x, changes %+v, error %v; want it unchanged", out, changes, err)
	}
}

func TestSanitizeFooterRefusesSizesBeyondItsBytes(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"list of a million structs", []byte{0x19, 0xfc, 0xc0, 0x84, 0x3d, 0x00}, "elements declared"},
		{"binary longer than the footer", []byte{0x48, 0xff, 0xff, 0x03, 'x'}, "runs past the end"},
		{"map of a million entries", []byte{0x1b, 0xc0, 0x84, 0x3d, 0x88}, "elements declared"},
		{"nesting too deep", bytes.Repeat([]byte{0x1c}, 100), "nested deeper"},
		{"truncated varint", []byte{0x15, 0xff}, "unexpected end"},
		{"unknown type", []byte{0x1e}, "unknown type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := sanitizeFooter(tt.input, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestSanitizeFooterDropsKeyValueMetadata(t *testing.T) {
	// 5: key_value_metadata [{1: key "k", 2: value "v"}], then 6: created_by "x".
	kv := []byte{0x19, 0x1c, 0x18, 0x01, 'k', 0x18, 0x01, 'v', 0x00}
	createdBy := []byte{0x18, 0x01, 'x'}
	in := concat(footerHead, footerLogical, footerAfter, footerTail[:len(footerTail)-1], kv, createdBy, []byte{0x00})
	out, _, err := sanitizeFooter(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	// created_by now follows row_groups (field 4): its delta becomes 2.
	want := concat(footerHead, []byte{0x85, 0x02, 0x00}, footerTail[:len(footerTail)-1], []byte{0x28, 0x01, 'x', 0x00})
	if !bytes.Equal(out, want) {
		t.Errorf("sanitized to\n% x\nwant\n% x", out, want)
	}
}

func TestSanitizeFooterDeclaresInt96FixedLenByteArray(t *testing.T) {
	head := []byte{
		0x15, 0x02, // 1: version = 1
		0x19, 0x2c, // 2: schema, a list of 2 structs
		0x48, 0x04, 'r', 'o', 'o', 't', 0x15, 0x02, 0x00, // {4: name "root", 5: num_children 1}
	}
	// {1: type FIXED_LEN_BYTE_ARRAY, 2: type_length 12, 3: OPTIONAL, 4: name "t"}
	want := []byte{0x15, 0x0e, 0x15, 0x18, 0x15, 0x02, 0x18, 0x01, 't', 0x00}
	tests := []struct {
		name    string
		element []byte
	}{
		// {1: type INT96, 3: OPTIONAL, 4: name "t", 6: converted_type 9}
		{"annotated", []byte{0x15, 0x06, 0x25, 0x02, 0x18, 0x01, 't', 0x25, 0x12, 0x00}},
		// {1: type INT96, 2: type_length 0, 3: OPTIONAL, 4: name "t"}
		{"with a type length", []byte{0x15, 0x06, 0x15, 0x00, 0x15, 0x02, 0x18, 0x01, 't', 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changes, err := sanitizeFooter(concat(head, tt.element, footerTail), nil)
			if err != nil {
				t.Fatal(err)
			}
			if w := concat(head, want, footerTail); !bytes.Equal(out, w) {
				t.Errorf("sanitized to\n% x\nwant\n% x", out, w)
			}
			if len(changes.int96) != 1 || changes.int96[0] != 1 || len(changes.dropped) != 0 {
				t.Errorf("changes %+v, want INT96 element 1", changes)
			}
		})
	}
}

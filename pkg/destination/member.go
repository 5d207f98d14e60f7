package destination

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/filedge/filedge/pkg/record"
)

// MemberSeparator separates an archive's path from a member's path in the _file
// of the member's rows: "in/batch.zip!/2026/a.csv".
const MemberSeparator = "!/"

// BatchFile returns the _file of rec's rows: the value of its
// record.FileColumn column, which names an archive member of the file at
// path, or path itself if the batch has no such column or no rows. It
// refuses a column that is not Arrow string, holds a NULL or two values, or
// names something that is neither path nor one of its members ("path!/…"):
// rows with such a _file would escape the next version's replace.
func BatchFile(rec arrow.RecordBatch, path string) (string, error) {
	idx := rec.Schema().FieldIndices(record.FileColumn)
	switch len(idx) {
	case 0:
		return path, nil
	case 1:
	default:
		return "", fmt.Errorf("column %s appears %d times in one batch", record.FileColumn, len(idx))
	}
	col := rec.Column(idx[0])
	n := col.Len()
	if n == 0 {
		return path, nil
	}
	if col.NullN() > 0 {
		return "", fmt.Errorf("column %s holds %d NULL values, want the archive member's name on every row", record.FileColumn, col.NullN())
	}
	var (
		v   string
		bad int // first row whose value is not v, or -1
	)
	switch a := col.(type) {
	case *array.String:
		v, bad = a.Value(0), firstOther(a.ValueOffsets(), a.ValueBytes())
		if bad >= 0 {
			return "", twoFiles(v, a.Value(bad), bad)
		}
	case *array.LargeString:
		v, bad = a.Value(0), firstOther(a.ValueOffsets(), a.ValueBytes())
		if bad >= 0 {
			return "", twoFiles(v, a.Value(bad), bad)
		}
	default:
		return "", fmt.Errorf("column %s is Arrow %s, want string", record.FileColumn, col.DataType())
	}
	if !isMember(v, path) {
		return "", fmt.Errorf("column %s is %q, which is neither the file %q nor one of its members %q", record.FileColumn, v, path, path+MemberSeparator+"…")
	}
	return v, nil
}

// firstOther returns the first of the values that offsets delimit in data
// (n+1 offsets for n values; data starts at offsets[0]) that differs from
// the first value, or -1 if they are all equal. It compares the offsets,
// then the bytes in chunks that double in size, so that a batch of one
// member (the rule) costs about one memcmp of its _file bytes rather than a
// string comparison per row.
func firstOther[O int32 | int64](offsets []O, data []byte) int {
	n := len(offsets) - 1
	size := offsets[1] - offsets[0]
	for i := 1; i < n; i++ {
		if offsets[i+1]-offsets[i] != size {
			return i
		}
	}
	// data is n copies of one value of size bytes iff it repeats with
	// period size: each step checks that the next chunk equals the start,
	// whose periodicity the steps before proved.
	same := true
	for done := int(size); same && done < len(data); done *= 2 {
		m := min(done, len(data)-done)
		same = bytes.Equal(data[done:done+m], data[:m])
	}
	if same {
		return -1
	}
	// Rare (a broken contract): find the row.
	for i := 1; i < n; i++ {
		if !bytes.Equal(data[offsets[i]-offsets[0]:offsets[i+1]-offsets[0]], data[:size]) {
			return i
		}
	}
	return -1
}

func twoFiles(first, other string, row int) error {
	return fmt.Errorf("column %s names %q on row 1 and %q on row %d of one batch, want one file per batch", record.FileColumn, first, other, row+1)
}

// isMember reports whether file is path or the name of a member of the
// archive at path.
func isMember(file, path string) bool {
	return file == path || (strings.HasPrefix(file, path) && strings.HasPrefix(file[len(path):], MemberSeparator))
}

package destination

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/filedge/filedge/pkg/record"
)

// CDCSpec says how the rows of a file with WriteMode CDC apply as changes
// to the rows of their keys (ADR 0005). Column names are the table's: the
// names the parser gives the file's columns.
//
// Each row is a change: its OperationColumn says whether it inserts,
// updates (both replace the key's row with the change's row, columns the
// file lacks becoming NULL) or deletes (the key's row goes, and a tombstone
// in TombstoneTable remembers the key and the sequence). A change applies
// only when it is newer than the key's current state (its row or its
// tombstone): when its (SequenceBy, _file, _line) is greater, the sequence
// compared in its column's type, _file by its bytes. So files committed in
// any order converge to one table. The operation column is not stored in
// the table; the sequence column is.
//
// A row whose operation is in none of Insert, Update and Delete, whose
// operation, key or sequence is NULL, or that shares its key's highest
// sequence in the file with another row, is a row error: it fails the file
// (a *PermanentError naming the file, line and column), or, with
// SkipInvalid, is left out and counted in Result.Skipped (for a tie, every
// change of that key in the file).
type CDCSpec struct {
	Keys            []string `json:"keys"`
	OperationColumn string   `json:"operation_column"`
	SequenceBy      string   `json:"sequence_by"`
	// Insert, Update and Delete are the operation values of each kind,
	// matched exactly against the operation column's text.
	Insert []string `json:"insert"`
	Update []string `json:"update"`
	Delete []string `json:"delete"`
	// SkipInvalid leaves out rows with row errors instead of failing the
	// file (the pipeline's on_error: skip).
	SkipInvalid bool `json:"skip_invalid,omitempty"`
}

// Defaults of CDCSpec: AWS DMS's operation column and values, with the
// words the Python Filedge's examples use.
const DefaultOperationColumn = "Op"

var (
	DefaultInsert = []string{"I", "insert"}
	DefaultUpdate = []string{"U", "update"}
	DefaultDelete = []string{"D", "delete"}
)

// ErrCDCSpec is wrapped by CDCSpec.Check's errors.
var ErrCDCSpec = errors.New("invalid CDC settings")

// Check reports what makes s unusable: no key, no sequence or operation
// column, a column given two roles, no operation value, or a value given
// to two kinds.
func (s *CDCSpec) Check() error {
	if s == nil {
		return fmt.Errorf("%w: write mode cdc needs its settings (keys, sequence_by)", ErrCDCSpec)
	}
	var problems []string
	if len(s.Keys) == 0 {
		problems = append(problems, "no key column")
	}
	if s.SequenceBy == "" {
		problems = append(problems, "no sequence column")
	}
	if s.OperationColumn == "" {
		problems = append(problems, "no operation column")
	}
	roles := map[string]string{}
	role := func(col, what string) {
		if col == "" {
			return
		}
		if prev, dup := roles[col]; dup {
			problems = append(problems, fmt.Sprintf("column %q is both the %s and the %s", col, prev, what))
			return
		}
		roles[col] = what
	}
	for _, k := range s.Keys {
		role(k, "key "+k)
	}
	role(s.SequenceBy, "sequence column")
	role(s.OperationColumn, "operation column")
	kinds := map[string]string{}
	for _, kind := range []struct {
		name   string
		values []string
	}{{"insert", s.Insert}, {"update", s.Update}, {"delete", s.Delete}} {
		for _, v := range kind.values {
			if prev, dup := kinds[v]; dup && prev != kind.name {
				problems = append(problems, fmt.Sprintf("operation value %q is both %s and %s", v, prev, kind.name))
			}
			kinds[v] = kind.name
		}
	}
	if len(s.Delete) == 0 && len(s.Insert)+len(s.Update) == 0 {
		problems = append(problems, "no operation value")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrCDCSpec, strings.Join(problems, "; "))
	}
	return nil
}

// CheckColumns refuses a table whose columns (the names of its first
// batch's data columns) lack one that s names: a *PermanentError that
// names the missing columns and lists the table's.
func (s *CDCSpec) CheckColumns(table string, columns []string) error {
	var missing []string
	for _, c := range append([]string{s.OperationColumn, s.SequenceBy}, s.Keys...) {
		if !slices.Contains(columns, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &PermanentError{Err: fmt.Errorf("table %q: %w: the file has no column %s (its columns: %s)",
		table, ErrCDCSpec, strings.Join(missing, ", "), strings.Join(columns, ", "))}
}

// String describes s: "keys [id], sequence updated_at, operation op
// (insert [I insert], update [U update], delete [D delete])".
func (s *CDCSpec) String() string {
	if s == nil {
		return "<nil>"
	}
	out := fmt.Sprintf("keys %v, sequence %s, operation %s (insert %v, update %v, delete %v)", s.Keys, s.SequenceBy, s.OperationColumn, s.Insert, s.Update, s.Delete)
	if s.SkipInvalid {
		out += ", skipping row errors"
	}
	return out
}

// Upserts returns the operation values that insert or update.
func (s *CDCSpec) Upserts() []string {
	return slices.Concat(s.Insert, s.Update)
}

// Operations returns every operation value, for messages.
func (s *CDCSpec) Operations() []string {
	return slices.Concat(s.Insert, s.Update, s.Delete)
}

// TombstonePrefix starts the name of every tombstone table.
const TombstonePrefix = "_filedge_deleted_"

// TombstoneTable returns the name of the table that keeps the tombstones
// of table's deleted keys: TombstonePrefix and the table's name, cut with a
// digest of the name so that it stays within record.MaxNameBytes.
func TombstoneTable(table string) string {
	name := TombstonePrefix + table
	if len(name) <= record.MaxNameBytes {
		return name
	}
	sum := sha256.Sum256([]byte(table))
	digest := hex.EncodeToString(sum[:4])
	keep := record.MaxNameBytes - len(TombstonePrefix) - len(digest) - 1
	for keep > 0 && table[keep]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		keep--
	}
	return TombstonePrefix + table[:keep] + "_" + digest
}

// IsBookkeeping reports whether a table of a destination is one filedge
// keeps for itself (the ledger, magic folder ownership, tombstones) rather
// than a table of data.
func IsBookkeeping(table string) bool {
	return table == LedgerTable || table == TablesTable || strings.HasPrefix(table, TombstonePrefix)
}

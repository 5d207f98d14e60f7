package sqlite

import "github.com/filedge/filedge/pkg/destination"

// fileMatch is the condition on "_file" of the rows an Append of a path
// replaces (with fileMatchArgs): the path's own rows and its archive
// members' ("path!/…"). The members are the range [path+"!/", path+"!0"),
// '0' being the byte after '/': under the BINARY collation of the column,
// exactly the texts that start with path+"!/". A range rather than LIKE,
// because SQLite's LIKE ignores the case of ASCII letters (it would take
// "IN/BATCH.ZIP!/a.csv" for a member of "in/batch.zip"), and rather than
// GLOB, because it needs no escaping; like an equality, it can use an index
// on "_file".
const fileMatch = `("_file" = ? OR ("_file" >= ? AND "_file" < ?))`

// fileMatchArgs returns the parameters of fileMatch for path.
func fileMatchArgs(path string) []any {
	return []any{path, path + destination.MemberSeparator, path + "!0"}
}

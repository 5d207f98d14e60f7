// Package all registers every file format: a program imports it for its
// side effect, as cmd/filedge does.
package all

import (
	_ "github.com/filedge/filedge/pkg/format/csv"  // delimited text
	_ "github.com/filedge/filedge/pkg/format/json" // JSON lines and arrays
)

// Package schemas holds the JSON Schema (draft 2020-12) of every JSON
// message on the bus, one file per schema id (schemas/<id>.json, e.g.
// filedge.file_parsed.v1.json), mirroring the Go types in pkg/bus. Tests
// validate real messages against them.
package schemas

import "embed"

// FS holds the schema files, named <schema id>.json.
//
//go:embed *.json
var FS embed.FS

// Package all registers every file format: a program imports it for its
// side effect, as cmd/filedge does.
package all

import (
	_ "github.com/filedge/filedge/pkg/format/avro"    // Avro object container files
	_ "github.com/filedge/filedge/pkg/format/csv"     // delimited text
	_ "github.com/filedge/filedge/pkg/format/excel"   // Excel .xlsx, .xlsm, .xls
	_ "github.com/filedge/filedge/pkg/format/json"    // JSON lines and arrays
	_ "github.com/filedge/filedge/pkg/format/log"     // log lines
	_ "github.com/filedge/filedge/pkg/format/parquet" // Parquet
	_ "github.com/filedge/filedge/pkg/format/xml"     // XML
)

package record

// System columns. The parser publishes LineColumn in every batch; the sink
// adds the others, which are constant for a file version.
const (
	LineColumn     = "_line"             // line (or record) number of the row in its file
	FileColumn     = "_file"             // path of the file, relative to its source
	ModifiedColumn = "_modified"         // modification time of the file version
	SyncedColumn   = "_filedge_synced"   // time the destination committed the row
	HashColumn     = "_source_file_hash" // SHA-256 of the file's bytes, hex
)

// DataColumn is the column of the readers that load each record whole,
// packed: JSON with json_delivery: packed, XML and log lines. Unlike other
// names it keeps its leading underscore (see Names).
const DataColumn = "_data"

// SystemColumns lists every system column in the order destinations create
// them, after the data columns.
var SystemColumns = []Column{
	{Name: FileColumn, Type: String},
	{Name: LineColumn, Type: Integer},
	{Name: ModifiedColumn, Type: Timestamp},
	{Name: SyncedColumn, Type: Timestamp},
	{Name: HashColumn, Type: String},
}

// IsSystem reports whether name is the name of a system column.
func IsSystem(name string) bool {
	for _, c := range SystemColumns {
		if c.Name == name {
			return true
		}
	}
	return false
}

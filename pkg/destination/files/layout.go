package files

import (
	"fmt"
	"path/filepath"
	"strings"
)

// metaDir is the folder, inside the destination folder, that holds the
// destination's own files: the ledger, the tables' catalog, locks and
// temporary files. Its leading '_' hides it from readers such as Spark,
// Hive and pyarrow datasets, and no table's folder starts with '_' (see
// escapeName).
const metaDir = "_filedge"

// The folders of metaDir.
const (
	ledgerDir  = "ledger"  // <pipeline>/<version>.json: one file per committed version
	pathsDir   = "paths"   // <pipeline>/<path>.json: the versions and outputs of each path
	ownersDir  = "owners"  // <pipeline>/<owner>.json: the tables a file owns (magic folder mode)
	tablesDir  = "tables"  // <table>.json: each table's columns, owner and pending changes
	stagingDir = "staging" // <table>/: files about to be renamed into a table, under its lock
	tmpDir     = "tmp"     // <instance>/: each open destination's temporary files
	locksDir   = "locks"   // path-xx and table-xx: the striped locks
	folderFile = "folder.json"
)

// layout names the files of a destination folder.
type layout struct {
	base string // the destination folder, absolute
	ext  string // the outputs' extension, with its dot: ".parquet"
}

// meta returns a path under metaDir.
func (l layout) meta(elem ...string) string {
	return filepath.Join(append([]string{l.base, metaDir}, elem...)...)
}

// abs returns the absolute path of rel, a slash-separated path relative to
// the destination folder (as catalogs and path indexes record outputs).
func (l layout) abs(rel string) string {
	return filepath.Join(l.base, filepath.FromSlash(rel))
}

// tableDir is the folder of a table that gathers several file versions,
// relative to the destination folder.
func (l layout) tableDir(table string) string { return nameOf(table) }

// wholeFile is the one file of a table that one file version holds whole
// (truncate, magic folder), relative to the destination folder.
func (l layout) wholeFile(table string) string { return nameOf(table) + l.ext }

// output is the file of a table's folder that holds the rows of the
// version of path with content hash sha: one per path, which each newer
// version replaces, or with everyVersion (append_file) one per path and
// content, named after the first 16 hex digits of the hash.
func (l layout) output(table, path, sha string, everyVersion bool) string {
	name := nameOf(path)
	if everyVersion {
		h := "nohash"
		if len(sha) >= digestLen {
			h = strings.ToLower(sha[:digestLen])
		}
		name += "@" + h
	}
	return l.tableDir(table) + "/" + name + l.ext
}

func (l layout) ledgerFile(pipeline, version string) string {
	return l.meta(ledgerDir, nameOf(pipeline), nameOf(version)+".json")
}

func (l layout) pathIndex(pipeline, path string) string {
	return l.meta(pathsDir, nameOf(pipeline), nameOf(path)+".json")
}

func (l layout) ownerIndex(pipeline, owner string) string {
	return l.meta(ownersDir, nameOf(pipeline), nameOf(owner)+".json")
}

func (l layout) catalogFile(table string) string {
	return l.meta(tablesDir, nameOf(table)+".json")
}

func (l layout) staging(table string) string {
	return l.meta(stagingDir, nameOf(table))
}

// pathLock and tableLock are the lock files that guard a pipeline's path
// and a table (striped: see stripe).
func (l layout) pathLock(pipeline, path string) string {
	return l.meta(locksDir, fmt.Sprintf("path-%02x", stripe(pipeline+"\x00"+path)))
}

func (l layout) tableLock(table string) string {
	return l.meta(locksDir, fmt.Sprintf("table-%02x", stripe(table)))
}

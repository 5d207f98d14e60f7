package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

// entry is a committed file version: the content of its ledger file,
// _filedge/ledger/<pipeline>/<version>.json. The ledger file is written
// last, once every table of the version is in place: it is the commit.
type entry struct {
	Pipeline  string    `json:"pipeline"`
	Version   string    `json:"version"`
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	Modified  time.Time `json:"modified"`
	Seq       int64     `json:"seq,omitempty"`
	SHA256    string    `json:"sha256,omitempty"`
	Tables    []string  `json:"tables"`
	Rows      int64     `json:"rows"`
	Committed time.Time `json:"committed"`
}

// result is the commit an entry records.
func (e *entry) result() *destination.Result {
	return &destination.Result{Outcome: destination.Committed, Tables: e.Tables, Rows: e.Rows, Committed: e.Committed}
}

// lookup reads the ledger file of a version; found is false when the
// version is not committed.
func (d *Dest) lookup(pipeline, version string) (*entry, bool, error) {
	var e entry
	found, err := readJSON(d.l.ledgerFile(pipeline, version), &e)
	if err != nil || !found {
		return nil, false, err
	}
	if e.Pipeline != jsonText(pipeline) || e.Version != jsonText(version) {
		return nil, false, fmt.Errorf("ledger file %s holds version %s of pipeline %q, not %s of %q", d.l.ledgerFile(pipeline, version), e.Version, e.Pipeline, version, pipeline)
	}
	return &e, true, nil
}

// committed reports whether the ledger holds a version.
func (d *Dest) committed(pipeline, version string) (bool, error) {
	_, err := os.Stat(d.l.ledgerFile(pipeline, version))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// pathIndex is what the destination knows of one path of a pipeline,
// _filedge/paths/<pipeline>/<path>.json, read and written under the path's
// lock: the versions that newest-wins compares against, and the outputs
// that hold the path's rows. It is written before a commit changes any
// table, so it names every version whose rows may be in place (a version
// counts for newest-wins only once its ledger file exists) and every
// output that may hold the path's rows (some may be gone).
type pathIndex struct {
	Path     string         `json:"path"`
	Versions []indexVersion `json:"versions"`
	// Outputs lists, per table, the files of the table's folder that hold
	// rows of the path.
	Outputs map[string][]output `json:"outputs,omitempty"`
}

// output is a file of a table's folder and the content hash of the version
// whose rows it holds.
type output struct {
	File   string `json:"file"` // relative to the destination folder
	SHA256 string `json:"sha256,omitempty"`
}

// indexVersion is a version of the path, as newest-wins compares it.
type indexVersion struct {
	Version  string    `json:"version"`
	Seq      int64     `json:"seq,omitempty"`
	Modified time.Time `json:"modified"`
}

// readPathIndex reads the index of a path; a path never seen has an empty
// one.
func (d *Dest) readPathIndex(pipeline, path string) (*pathIndex, error) {
	idx := &pathIndex{Path: path}
	file := d.l.pathIndex(pipeline, path)
	found, err := readJSON(file, idx)
	if err != nil {
		return nil, err
	}
	if found && idx.Path != jsonText(path) {
		return nil, fmt.Errorf("path index %s is of %q, not %q", file, idx.Path, path)
	}
	return idx, nil
}

// newest summarises the committed versions of idx for newest-wins.
func (d *Dest) newest(pipeline string, idx *pathIndex) (destination.Newest, error) {
	var n destination.Newest
	for _, v := range idx.Versions {
		ok, err := d.committed(pipeline, v.Version)
		if err != nil {
			return n, err
		}
		switch {
		case !ok:
		case v.Seq > 0:
			n.Seq = max(n.Seq, v.Seq)
		case v.Modified.After(n.Modified):
			n.Modified = v.Modified
		}
	}
	return n, nil
}

// addVersion adds f to idx's versions, keeping of the others only those
// newest-wins may still need: the committed ones with the highest sequence
// and the latest modification time, and those not committed (yet).
func (d *Dest) addVersion(idx *pathIndex, f *destination.File) error {
	var keep []indexVersion
	var bySeq, byTime *indexVersion
	for i := range idx.Versions {
		v := &idx.Versions[i]
		if v.Version == f.Version {
			continue
		}
		ok, err := d.committed(f.Pipeline, v.Version)
		switch {
		case err != nil:
			return err
		case !ok:
			keep = append(keep, *v)
		case v.Seq > 0:
			if bySeq == nil || v.Seq > bySeq.Seq {
				bySeq = v
			}
		default:
			if byTime == nil || v.Modified.After(byTime.Modified) {
				byTime = v
			}
		}
	}
	for _, v := range []*indexVersion{bySeq, byTime} {
		if v != nil {
			keep = append(keep, *v)
		}
	}
	idx.Versions = append(keep, indexVersion{Version: f.Version, Seq: f.Seq, Modified: f.Modified.UTC()})
	return nil
}

// setOutputs makes outs the outputs idx records for table, adding those
// of the others it recorded that still exist (a commit may not have
// removed them all).
func (d *Dest) setOutputs(idx *pathIndex, table string, outs []output) error {
	all := slices.Clone(outs)
	for _, o := range idx.Outputs[table] {
		if slices.ContainsFunc(all, func(n output) bool { return n.File == o.File }) {
			continue
		}
		if _, err := os.Stat(d.l.abs(o.File)); err == nil {
			all = append(all, o)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if idx.Outputs == nil {
		idx.Outputs = map[string][]output{}
	}
	slices.SortFunc(all, func(a, b output) int { return strings.Compare(a.File, b.File) })
	idx.Outputs[table] = all
	return nil
}

// ownerIndex lists the tables a file owns in magic folder mode,
// _filedge/owners/<pipeline>/<owner>.json.
type ownerIndex struct {
	Owner  string   `json:"owner"`
	Tables []string `json:"tables"`
}

// ownedTables lists the tables owner owns in a pipeline.
func (d *Dest) ownedTables(pipeline, owner string) ([]string, error) {
	var oi ownerIndex
	file := d.l.ownerIndex(pipeline, owner)
	found, err := readJSON(file, &oi)
	if err != nil || !found {
		return nil, err
	}
	if oi.Owner != jsonText(owner) {
		return nil, fmt.Errorf("owner index %s is of %q, not %q", file, oi.Owner, owner)
	}
	return oi.Tables, nil
}

package files

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// catalog is what the destination keeps of a table,
// _filedge/tables/<table>.json, read and written under the table's lock:
// its columns (every output of the table has them, in this order, followed
// by the system columns), its owner in magic folder mode, the version its
// whole file holds, and the changes a commit is making to its files. A
// table exists once its catalog does.
type catalog struct {
	Table    string    `json:"table"`
	Pipeline string    `json:"pipeline,omitempty"` // the pipeline that created it
	Created  time.Time `json:"created"`
	Owner    string    `json:"owner,omitempty"`
	Columns  []column  `json:"columns"`
	// Whole is the version the table's whole file (<table>.<ext>) holds,
	// when it has one.
	Whole *source `json:"whole,omitempty"`
	// Pending are the renames and removals a commit makes to the table's
	// files, recorded before the first of them: a commit that dies among
	// them leaves them here, and the next one to lock the table finishes
	// them (see finish).
	Pending *pending `json:"pending,omitempty"`
}

// column is a data column of a table.
type column struct {
	Name string      `json:"name"`
	Type record.Type `json:"type"`
}

// source is the file version whose rows a whole file holds.
type source struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
}

// pending are changes to a table's files: files staged in the table's
// staging folder to rename into place, then files to remove. Each step can
// be done again, so a change interrupted by a crash is finished by doing
// all of it again.
type pending struct {
	Installs []install `json:"installs,omitempty"`
	Removes  []string  `json:"removes,omitempty"` // relative to the destination folder
}

// install renames a staged file into place.
type install struct {
	Staged string `json:"staged"` // its name in the table's staging folder
	Target string `json:"target"` // relative to the destination folder
}

// readCatalog reads the catalog of table; nil when the table does not
// exist.
func (d *Dest) readCatalog(table string) (*catalog, error) {
	var c catalog
	file := d.l.catalogFile(table)
	found, err := readJSON(file, &c)
	if err != nil || !found {
		return nil, err
	}
	if c.Table != jsonText(table) {
		return nil, fmt.Errorf("catalog %s is of table %q, not %q", file, c.Table, table)
	}
	return &c, nil
}

// writeCatalog writes the catalog of c.Table.
func (d *Dest) writeCatalog(c *catalog) error {
	return writeJSON(d.tmp, d.l.catalogFile(c.Table), c)
}

// finish makes c's pending changes, if any, and records that they are
// made; then it empties the table's staging folder of what an interrupted
// commit left there. The caller holds the table's lock.
func (d *Dest) finish(c *catalog) error {
	staging := d.l.staging(c.Table)
	if c.Pending != nil {
		synced := map[string]bool{}
		for _, in := range c.Pending.Installs {
			dst := d.l.abs(in.Target)
			synced[filepath.Dir(dst)] = false
			if err := mkdirs(filepath.Dir(dst)); err != nil {
				return fmt.Errorf("table %q: %w", c.Table, err)
			}
			err := os.Rename(filepath.Join(staging, in.Staged), dst)
			if errors.Is(err, fs.ErrNotExist) {
				if _, serr := os.Stat(dst); serr == nil {
					continue // renamed before a crash
				}
			}
			if err != nil {
				return fmt.Errorf("table %q: install %s: %w", c.Table, in.Target, err)
			}
		}
		for _, rel := range c.Pending.Removes {
			if err := removeIfExists(d.l.abs(rel)); err != nil {
				return fmt.Errorf("table %q: remove %s: %w", c.Table, rel, err)
			}
			synced[filepath.Dir(d.l.abs(rel))] = false
		}
		for _, dir := range slices.Sorted(maps.Keys(synced)) {
			if err := syncDir(dir); err != nil {
				return err
			}
		}
		c.Pending = nil
		if err := d.writeCatalog(c); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("table %q: clean %s: %w", c.Table, staging, err)
	}
	return nil
}

// outputs lists every output of table, relative to the destination
// folder: the files of its folder and its whole file.
func (d *Dest) outputs(table string) ([]string, error) {
	var out []string
	dir := d.l.tableDir(table)
	entries, err := os.ReadDir(d.l.abs(dir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), d.l.ext) {
			out = append(out, dir+"/"+e.Name())
		}
	}
	whole := d.l.wholeFile(table)
	if _, err := os.Stat(d.l.abs(whole)); err == nil {
		out = append(out, whole)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return out, nil
}

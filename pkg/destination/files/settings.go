package files

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/settings"
)

// Config is a files destination's settings: the keys of its connector:
// block (or destinations: entry) besides the pipeline's name, type and
// write_mode.
type Config struct {
	// Path is the destination folder, which Open creates when it is
	// missing; after the pipeline loads it is absolute (a relative path is
	// relative to the pipeline file's folder). Required.
	Path string `yaml:"path"`
	// Format is the outputs' format: parquet (the default), csv, json
	// (JSON lines) or excel.
	Format string `yaml:"format"`
}

// DefaultFormat is the format of a block without a format key.
const DefaultFormat = "parquet"

// extensions are the formats a files destination writes, with the
// extension of their files.
var extensions = map[string]string{
	"parquet": ".parquet",
	"csv":     ".csv",
	"json":    ".jsonl",
	"excel":   ".xlsx",
}

// Formats lists the formats a files destination writes.
func Formats() []string {
	return slices.Sorted(maps.Keys(extensions))
}

// Open opens the destination; see the function Open.
func (c Config) Open(ctx context.Context, env destination.Env) (destination.Destination, error) {
	d, err := Open(ctx, c, env)
	if err != nil {
		return nil, err // not a nil *Dest in a non-nil interface
	}
	return d, nil
}

// decode reads a files block: path is required and resolved against the
// pipeline's folder; format is one of Formats, in any case.
func decode(b *settings.Block) destination.Config {
	c := Config{Format: DefaultFormat}
	b.Decode(&c)
	switch path := strings.TrimSpace(c.Path); {
	case b.Failed("path"):
	case !b.Has("path"):
		b.Errorf("path", "required: the folder the tables are written to, e.g. path: ./out (relative to this file's folder)")
	case path == "":
		b.Errorf("path", "must not be empty")
	default:
		if !filepath.IsAbs(path) {
			path = filepath.Join(b.Dir(), path)
		}
		c.Path = filepath.Clean(path)
	}
	c.Format = strings.ToLower(strings.TrimSpace(c.Format))
	if !b.Failed("format") {
		if err := checkFormat(c.Format); err != nil {
			if s := settings.Suggest(c.Format, Formats()); s != "" {
				err = fmt.Errorf("%w; did you mean %s?", err, s)
			}
			b.Errorf("format", "%w", err)
		}
	}
	return c
}

// checkFormat reports a format a files destination does not write, or
// whose writer this build lacks.
func checkFormat(code string) error {
	if _, ok := extensions[code]; !ok {
		return fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, code, strings.Join(Formats(), ", "))
	}
	if _, ok := format.LookupWriter(code); !ok {
		return fmt.Errorf("%w: %s has no writer in this build of filedge", ErrUnknownFormat, code)
	}
	return nil
}

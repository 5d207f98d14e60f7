package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// Config is a sqlite destination's settings: the keys of its connector:
// block (or destinations: entry) besides the pipeline's name, type,
// write_mode and cdc.
type Config struct {
	// URL names the database file, as SQLAlchemy users write it (see
	// decode); after the pipeline loads it is "sqlite://" followed by the
	// file's absolute path. Required.
	URL string `yaml:"url"`
	// Schema is read only to refuse it: SQLite has no schemas.
	Schema string `yaml:"schema"`
}

// Open opens the destination; see the function Open.
func (c Config) Open(ctx context.Context, env destination.Env) (destination.Destination, error) {
	db, err := Open(ctx, c, env)
	if err != nil {
		return nil, err // not a nil *DB in a non-nil interface
	}
	return db, nil
}

// decode reads a sqlite block: url is required and resolved against the
// pipeline's folder; schema is refused.
func decode(b *settings.Block) destination.Config {
	var c Config
	b.Decode(&c)
	url := strings.TrimSpace(c.URL)
	switch {
	case b.Failed("url"):
	case !b.Has("url"):
		b.Errorf("url", "required: the database file, e.g. url: sqlite:///out.db (relative to this file's folder)")
	case url == "":
		b.Errorf("url", "must not be empty")
	default:
		resolved, err := resolveURL(url, b.Dir())
		if err != nil {
			b.Errorf("url", "%w", err)
		}
		c.URL = resolved
	}
	if c.Schema != "" {
		b.Errorf("schema", "%w", ErrSchemaUnsupported)
	}
	return c
}

// resolveURL reads a sqlite URL as SQLAlchemy users write it and returns
// "sqlite://" + the absolute file path, the form Path reads (everything
// after "sqlite://" is the path):
//
//	sqlite:///rel/path.db   relative to dir
//	sqlite:////abs/path.db  absolute
//	rel/path.db, /abs/path.db  a plain file path
func resolveURL(s, dir string) (string, error) {
	const scheme = "sqlite://"
	var path string
	switch {
	case strings.HasPrefix(s, scheme):
		rest := s[len(scheme):]
		if strings.Contains(rest, "?") {
			return "", errors.New("a sqlite URL takes no options (?...): write only the file, sqlite:///relative/path.db or sqlite:////absolute/path.db")
		}
		if rest != "" && !strings.HasPrefix(rest, "/") {
			return "", errors.New("a sqlite URL has no host: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
		}
		path = strings.TrimPrefix(rest, "/")
	case strings.HasPrefix(s, "sqlite:"):
		return "", errors.New("write sqlite:///relative/path.db or sqlite:////absolute/path.db")
	case strings.Contains(s, "://"):
		return "", errors.New("want a sqlite:/// URL or a file path")
	default:
		path = s
	}
	switch path {
	case "":
		return "", errors.New("no database file: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
	case ":memory:":
		return "", errors.New("an in-memory database cannot hold a pipeline's data: name a file")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return scheme + filepath.ToSlash(filepath.Clean(path)), nil
}

package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
)

// Config is a local source's settings: the keys of the source: block
// besides the pipeline's type and pattern.
type Config struct {
	// Path is the folder; absolute after the pipeline loads. Required.
	Path string `yaml:"path"`
}

// Open returns the source of the folder; see New.
func (c Config) Open(_ context.Context, env source.Env) (source.Source, error) {
	s, err := New(c.Path, WithLogger(env.Logger))
	if err != nil {
		return nil, err // not a nil *Source in a non-nil interface
	}
	return s, nil
}

// String returns the folder's path.
func (c Config) String() string { return c.Path }

// decode reads a local block: path is required, resolved against the
// pipeline's folder, and must be a folder.
func decode(b *settings.Block) source.Config {
	var c Config
	b.Decode(&c)
	switch {
	case b.Failed("path"):
		return c
	case !b.Has("path"):
		b.Errorf("path", "required: the folder to load files from, e.g. source: {path: ./data}")
		return c
	case strings.TrimSpace(c.Path) == "":
		b.Errorf("path", "must not be empty")
		return c
	}
	if !filepath.IsAbs(c.Path) {
		c.Path = filepath.Join(b.Dir(), c.Path)
	}
	c.Path = filepath.Clean(c.Path)
	fi, err := os.Stat(c.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		b.Errorf("path", "folder %s does not exist", c.Path)
	case err != nil:
		b.Errorf("path", "cannot read folder %s: %w", c.Path, errors.Unwrap(err))
	case !fi.IsDir():
		b.Errorf("path", "%s is a file, not a folder", c.Path)
	}
	return c
}

package files_test

import (
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/files"
	_ "github.com/filedge/filedge/pkg/format/all"
)

// open opens a files destination onto the folder dir, in format code, and
// closes it when the test ends.
func open(t *testing.T, dir, code string) *files.Dest {
	t.Helper()
	d, err := openDest(t, dir, code)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return d
}

// openDest opens a files destination onto the folder dir, in format code,
// and closes it when tb ends.
func openDest(tb testing.TB, dir, code string) (*files.Dest, error) {
	d, err := files.Open(tb.Context(), files.Config{Path: dir, Format: code}, destination.Env{Name: "out", Dir: dir})
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return d, nil
}

func TestConformance(t *testing.T) {
	for _, code := range []string{"parquet", "csv", "json"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			var last string
			destinationtest.Run(t, destinationtest.Harness{
				Type: "files",
				Open: func(t *testing.T) (destination.Destination, destinationtest.Reader) {
					last = filepath.Join(t.TempDir(), "out")
					return open(t, last, code), files.NewReader(last, code)
				},
				Reopen: func(t *testing.T) destination.Destination {
					return open(t, last, code)
				},
			})
		})
	}
}

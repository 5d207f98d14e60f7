package all_test

import (
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	_ "github.com/filedge/filedge/pkg/destination/all"
)

func TestAllRegistersEveryDestination(t *testing.T) {
	types := destination.Types()
	for _, want := range []string{"databricks", "files", "postgres", "sqlite"} {
		if !slices.Contains(types, want) {
			t.Errorf("registered types %v lack %q", types, want)
		}
	}
}

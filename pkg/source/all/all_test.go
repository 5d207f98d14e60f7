package all_test

import (
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/source"
	_ "github.com/filedge/filedge/pkg/source/all"
)

func TestAllRegistersEverySource(t *testing.T) {
	if types := source.Types(); !slices.Contains(types, "local") {
		t.Errorf("registered types %v lack %q", types, "local")
	}
}

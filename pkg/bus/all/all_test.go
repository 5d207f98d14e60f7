package all_test

import (
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	_ "github.com/filedge/filedge/pkg/bus/all"
)

func TestAllRegistersEveryBus(t *testing.T) {
	types := bus.Types()
	for _, want := range []string{"kafka", "nats"} {
		if !slices.Contains(types, want) {
			t.Errorf("registered types %v lack %q", types, want)
		}
	}
}

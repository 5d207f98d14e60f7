package databricks

import (
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
)

// TestConformance runs the destination suite against a fake workspace
// (internal/fakewarehouse), through databricks-sql-go and the Files API.
func TestConformance(t *testing.T) {
	var last *workspace
	destinationtest.Run(t, destinationtest.Harness{
		Type: "databricks",
		Open: func(t *testing.T) (destination.Destination, destinationtest.Reader) {
			last = newWorkspace(t)
			d := last.open(t, nil)
			return d, reader{d}
		},
		Reopen: func(t *testing.T) destination.Destination {
			return last.open(t, nil)
		},
	})
}

package destination_test

import (
	"testing"

	"github.com/filedge/filedge/pkg/destination"
)

func TestOpenOfAnUnknownTypeIsInvalidConfig(t *testing.T) {
	_, err := destination.Open(t.Context(), destination.Config{Name: "d", Type: "no-such-type"})
	if err == nil || !destination.IsInvalidConfig(err) {
		t.Fatalf("Open = %v, want an error for which IsInvalidConfig holds", err)
	}
}

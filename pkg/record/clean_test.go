package record

import (
	"strings"
	"testing"
)

// TestIsCleanFindsABadByteAnywhere puts a NUL, an invalid byte or a valid
// multi-byte character at every position of ASCII strings of every length
// up to 20, so that each of isClean's paths (short strings read in two
// halves, whole words, the last word read overlapping) meets each.
func TestIsCleanFindsABadByteAnywhere(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for pos := range n {
			for _, c := range []struct {
				insert string
				clean  bool
			}{{"\x00", false}, {"\xff", false}, {"é", true}, {"\xc3", false}} {
				s := strings.Repeat("a", pos) + c.insert + strings.Repeat("b", n-pos-1)
				if got := isClean(s); got != c.clean {
					t.Errorf("isClean(%q) = %v, want %v", s, got, c.clean)
				}
			}
		}
	}
}

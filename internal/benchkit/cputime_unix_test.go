//go:build unix

package benchkit

import "testing"

func TestCPUTimeGrowsWithWork(t *testing.T) {
	before := CPUTime()
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	if after := CPUTime(); after <= before || x == 1 {
		t.Errorf("CPU time went from %v to %v over a busy loop", before, after)
	}
}

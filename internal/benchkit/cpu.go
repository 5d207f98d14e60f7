package benchkit

import (
	"testing"
	"time"
)

// ReportCPU starts measuring CPU time and returns the function that
// reports "cpu-MB/s": bytes per iteration over CPU seconds per iteration
// (every thread of the process, the garbage collector's too). On a shared
// machine it is the fairer number; on an idle one it is close to MB/s.
func ReportCPU(b *testing.B, bytesPerOp int64) func() {
	start := CPUTime()
	return func() {
		used := CPUTime() - start
		if used <= 0 || b.N == 0 {
			return
		}
		perOp := used / time.Duration(b.N)
		b.ReportMetric(float64(bytesPerOp)/perOp.Seconds()/1e6, "cpu-MB/s")
	}
}

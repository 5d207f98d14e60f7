package parquet

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// memoryLimitError is the panic value of a limitedAllocator asked for more
// than its limit; Read turns it into a *format.FileError.
type memoryLimitError struct {
	want  int64 // bytes asked for, or held after the allocation
	limit int64
}

func (e *memoryLimitError) Error() string {
	return fmt.Sprintf("decoding needs more than %d bytes of memory at once (%d asked): a corrupt file, or raise max_spool_bytes", e.limit, e.want)
}

// limitedAllocator is an Arrow allocator that caps the bytes held at once.
// Parquet files declare page and buffer sizes that the decoder trusts (a
// page of a few bytes may claim to inflate to 2 GiB); the cap turns such a
// file into an error instead of an out-of-memory kill. It counts as Arrow's
// CheckedAllocator does: what Allocate and Reallocate hand out, less what
// Free takes back.
//
// Over the limit, in the goroutine that made it (the reader's), it panics
// with a *memoryLimitError, which the reader recovers. pqarrow decodes the
// children of struct columns in goroutines of its own, where no recover of
// ours reaches: there the allocator allocates all the same and notes the
// breach, which the reader checks (Exceeded) as soon as pqarrow returns.
// The reader first decodes those columns in its own goroutine (see
// predecode), where a single page over the limit panics; so what pqarrow
// can add beyond the limit is bounded by about one batch. It is safe for
// concurrent use.
type limitedAllocator struct {
	mem      memory.Allocator
	limit    int64
	owner    uint64
	held     atomic.Int64
	exceeded atomic.Int64 // bytes held at the first breach off the owner goroutine
}

func newLimitedAllocator(limit int64) *limitedAllocator {
	return &limitedAllocator{mem: memory.NewGoAllocator(), limit: limit, owner: goroutineID()}
}

func (a *limitedAllocator) reserve(n int64) {
	if n < 0 {
		panic(&memoryLimitError{want: n, limit: a.limit})
	}
	held := a.held.Add(n)
	if held <= a.limit {
		return
	}
	if goroutineID() == a.owner {
		a.held.Add(-n)
		panic(&memoryLimitError{want: held, limit: a.limit})
	}
	a.exceeded.CompareAndSwap(0, held)
}

// Exceeded returns the error of a breach of the limit off the owner
// goroutine, or nil.
func (a *limitedAllocator) Exceeded() error {
	if held := a.exceeded.Load(); held > 0 {
		return &memoryLimitError{want: held, limit: a.limit}
	}
	return nil
}

// goroutineID returns the id of the calling goroutine, from the first line
// of its stack trace ("goroutine 42 [running]:"). It is slow, and called
// only at start and when the limit is breached.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// Allocate implements memory.Allocator.
func (a *limitedAllocator) Allocate(size int) []byte {
	a.reserve(int64(size))
	return a.mem.Allocate(size)
}

// Reallocate implements memory.Allocator.
func (a *limitedAllocator) Reallocate(size int, b []byte) []byte {
	if size < 0 {
		panic(&memoryLimitError{want: int64(size), limit: a.limit})
	}
	if grow := int64(size) - int64(len(b)); grow > 0 {
		a.reserve(grow)
	} else {
		a.held.Add(grow)
	}
	return a.mem.Reallocate(size, b)
}

// Free implements memory.Allocator.
func (a *limitedAllocator) Free(b []byte) {
	a.held.Add(-int64(len(b)))
	a.mem.Free(b)
}

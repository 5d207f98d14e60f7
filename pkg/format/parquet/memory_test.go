package parquet

import (
	"errors"
	"testing"
)

func TestLimitedAllocatorPanicsInItsGoroutineOnly(t *testing.T) {
	a := newLimitedAllocator(1000)
	b := a.Allocate(600)
	b = a.Reallocate(900, b)
	func() {
		defer func() {
			p := recover()
			var me *memoryLimitError
			if err, ok := p.(error); !ok || !errors.As(err, &me) {
				t.Errorf("recovered %v, want a *memoryLimitError", p)
			}
		}()
		a.Allocate(200)
	}()
	if a.Exceeded() != nil {
		t.Error("a breach in the owner goroutine was noted as one off it")
	}
	done := make(chan []byte)
	go func() { done <- a.Allocate(500) }() // pqarrow's goroutine: no panic
	other := <-done
	if len(other) != 500 || a.Exceeded() == nil {
		t.Errorf("allocated %d bytes off the owner goroutine, Exceeded() = %v", len(other), a.Exceeded())
	}
	a.Free(other)
	a.Free(b)
	if held := a.held.Load(); held != 0 {
		t.Errorf("%d bytes held after freeing everything", held)
	}
}

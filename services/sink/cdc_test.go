package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/membus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// Stand-ins of a destination type that applies write_mode: cdc and of one
// that does not.
func init() {
	for _, cdc := range []bool{true, false} {
		name := "plain-standin"
		if cdc {
			name = "cdc-standin"
		}
		destination.Register(destination.Info{
			Type: name, Atomicity: destination.AllTables, CDC: cdc,
			Decode: func(*settings.Block) destination.Config { return nil },
		})
	}
}

var spec = &destination.CDCSpec{Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "seq",
	Insert: destination.DefaultInsert, Update: destination.DefaultUpdate, Delete: destination.DefaultDelete}

func newCDCFixture(t *testing.T, onError config.OnError) *fixture {
	t.Helper()
	p := config.Defaults()
	p.Name, p.OnError = "orders", onError
	p.Sink.BatchIdle = 300 * time.Millisecond
	b := membus.New(membus.Options{})
	t.Cleanup(func() { b.Close() })
	db := &fakeDB{}
	svc, err := New(Config{Pipeline: p, Destination: &config.Destination{Name: "lite", Type: "cdc-standin", WriteMode: "cdc", CDC: spec}, DB: db, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{p: p, b: b, db: db, svc: svc}
}

func TestACDCDestinationGetsTheSpecAndTheOnErrorPolicy(t *testing.T) {
	for _, onError := range []config.OnError{config.Fail, config.Skip} {
		t.Run(string(onError), func(t *testing.T) {
			f := newCDCFixture(t, onError)
			f.publishBatch(t, "orders", 0, 2)
			f.publishTrailer(t, okTrailer(1, 2))
			if settled, out := f.handle(t); settled != "done" || out.Status != bus.StatusCommitted {
				t.Fatalf("settled %q, outcome %+v", settled, out)
			}
			got := f.db.files[0]
			if got.WriteMode != destination.CDC || got.CDC == nil || strings.Join(got.CDC.Keys, ",") != "id" {
				t.Fatalf("the destination got write mode %q and spec %v", got.WriteMode, got.CDC)
			}
			if got.CDC.SkipInvalid != (onError == config.Skip) {
				t.Errorf("SkipInvalid = %v under on_error: %s", got.CDC.SkipInvalid, onError)
			}
			if spec.SkipInvalid {
				t.Error("the pipeline's spec was changed")
			}
		})
	}
}

func TestTheOutcomeCountsAndShowsTheRowsTheDestinationSkipped(t *testing.T) {
	f := newCDCFixture(t, config.Skip)
	f.db.skipped = 3
	f.db.problems = []destination.Problem{
		{Table: "orders", File: fd.Path, Line: 4, Column: "op", Message: `unknown operation "X"`},
		{Table: "orders", File: fd.Path + "!/m.csv", Line: 2, Column: "id", Message: "the key is NULL"},
	}
	f.publishBatch(t, "orders", 0, 5)
	f.publishTrailer(t, okTrailer(1, 5))
	_, out := f.handle(t)
	if out.SkippedRows != 3 || len(out.Problems) != 2 {
		t.Fatalf("outcome %+v, want 3 skipped rows and 2 problems", out)
	}
	if got := out.Problems[0].String(); got != `line 4: column "op": unknown operation "X"` {
		t.Errorf("problem %q", got)
	}
	if got := out.Problems[1].String(); got != `a.csv!/m.csv: line 2: column "id": the key is NULL` {
		t.Errorf("problem of a member %q", got)
	}
}

func TestACDCDestinationOfATypeWithoutCDCDoesNotStart(t *testing.T) {
	b := membus.New(membus.Options{})
	t.Cleanup(func() { b.Close() })
	for _, d := range []*config.Destination{
		{Name: "x", Type: "plain-standin", WriteMode: "cdc", CDC: spec},
		{Name: "y", Type: "cdc-standin", WriteMode: "cdc"}, // no spec
	} {
		_, err := New(Config{Pipeline: config.Defaults(), Destination: d, DB: &fakeDB{}, Bus: b})
		if err == nil || !strings.Contains(err.Error(), d.Name) {
			t.Errorf("New of %+v: %v, want an error naming it", d, err)
		}
	}
}

package bustest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// Harness tells the suite how to reach the bus under test.
type Harness struct {
	// New prepares a broker for one test and returns a function that opens
	// a new connection (client) to it; the suite closes the connections it
	// opens. Connections from one New share the broker, so that the suite
	// can prove that two "processes" share a consumer group. New may
	// return a fresh broker each time, or one shared broker: the suite
	// isolates its tests by giving each its own pipelines and buckets.
	New func(t *testing.T) (connect func(t *testing.T) bus.Bus)
	// Release, if set, is called when a test ends for each pipeline it
	// used, to remove what the test left on a shared broker: consumers and
	// messages of that pipeline, and the key-value bucket named after it.
	Release func(t *testing.T, pipeline string)
}

// Timings used by the suite. Redelivery tests use shortAckWait; the others
// use longAckWait so that a redelivery they see can only come from a Nak.
const (
	shortAckWait = 500 * time.Millisecond
	longAckWait  = 20 * time.Second
	waitLong     = 15 * time.Second // upper bound for anything expected to happen
	// quiet is how long a test watches for something that must not happen,
	// beyond shortAckWait.
	quiet = 700 * time.Millisecond
)

// Run runs the conformance suite against the bus that h reaches. The tests
// run in parallel with one another.
func Run(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*env)
	}{
		{"Publish/ConsumeRoundTripKeepsAddressKeyIDHeadersAndData", testRoundTrip},
		{"Publish/KeyOfAnyBytesComesBackExact", testKeyOfAnyBytes},
		{"Publish/DuplicateIDInsideWindowIsStoredOnce", testDedup},
		{"Publish/SameIDOnAnotherPipelineOrScopeIsNotADuplicate", testDedupIsPerSubject},
		{"Publish/ConcurrentPublishesAreEachDeliveredOnceToAGroup", testConcurrentPublish},
		{"Publish/CancelledContextFailsAndStoresNothing", testPublishCancelled},
		{"Publish/PayloadAboveMaxPayloadIsRejectedWithErrTooLarge", testMaxPayload},
		{"Address/InvalidPipelineScopeOrTopicIsRejected", testInvalidAddress},
		{"Consume/GroupSharesMessagesBetweenConsumers", testGroupShares},
		{"Consume/EachGroupGetsEveryMessage", testGroupsFanOut},
		{"Consume/NakRedeliversWithNumDeliveredTwo", testNak},
		{"Consume/UnsettledMessageIsRedeliveredAfterAckWait", testAckWait},
		{"Consume/HandlerErrorNaksAndRedelivers", testHandlerError},
		{"Consume/HandlerPanicIsRecoveredAndMessageRedelivered", testHandlerPanic},
		{"Consume/TermStopsRedelivery", testTerm},
		{"Consume/InProgressPreventsRedeliveryPastAckWait", testInProgress},
		{"Consume/MaxDeliverCapsDeliveries", testMaxDeliver},
		{"Consume/SecondSettlementFailsAndChangesNothing", testSettleTwice},
		{"Consume/CancelReturnsCtxErrAfterInFlightHandlersFinish", testCancelDrains},
		{"Consume/ScopeFiltersAScopedTopic", testScopeFilter},
		{"Consume/UngroupedConsumerSeesEveryMessageFromTheFirst", testUngrouped},
		{"Read/ReturnsOneScopeInOrderAndWaitsForLaterMessages", testRead},
		{"Read/StreamsManyLargeMessagesInOrder", testReadLarge},
		{"Read/ClosedCursorReturnsErrClosed", testReadClosed},
		{"KeyValue/PutGetDeleteKeys", testKeyValue},
		{"KeyValue/BucketIsSharedBetweenConnections", testKeyValueShared},
		{"Close/OperationsAfterCloseReturnErrClosed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(&env{T: t, h: h, connect: h.New(t)})
		})
	}
}

// env is one test's view of the bus under test.
type env struct {
	*testing.T
	h       Harness
	connect func(t *testing.T) bus.Bus
}

// bus opens a connection, closed when the test ends.
func (e *env) bus() bus.Bus {
	b := e.connect(e.T)
	e.Cleanup(func() { _ = b.Close() })
	return b
}

// pipeline returns a new pipeline name, unique to this test.
func (e *env) pipeline() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := "bt-" + hex.EncodeToString(b[:])
	if e.h.Release != nil {
		e.Cleanup(func() { e.h.Release(e.T, p) })
	}
	return p
}

func (e *env) publish(b bus.Bus, msgs ...*bus.Message) {
	e.Helper()
	for _, m := range msgs {
		if err := b.Publish(e.Context(), m); err != nil {
			e.Fatalf("Publish(%s/%s/%s id %q): %v", m.Topic, m.Pipeline, m.Scope, m.ID, err)
		}
	}
}

func msg(t bus.Topic, pipeline, scope, id, data string) *bus.Message {
	return &bus.Message{Topic: t, Pipeline: pipeline, Scope: scope, ID: id, Data: []byte(data)}
}

// running is a Consume call running in the background.
type running struct {
	cancel   context.CancelFunc
	finished chan struct{} // closed when Consume has returned err
	err      error
}

// consume starts b.Consume; it is stopped when the test ends.
func (e *env) consume(b bus.Bus, c bus.ConsumerConfig, h bus.Handler) *running {
	ctx, cancel := context.WithCancel(e.Context())
	r := &running{cancel: cancel, finished: make(chan struct{})}
	go func() {
		r.err = b.Consume(ctx, c, h)
		close(r.finished)
	}()
	e.Cleanup(func() {
		r.cancel()
		if err, ok := r.wait(); !ok {
			e.Error("Consume did not return after its context was cancelled")
		} else if !errors.Is(err, context.Canceled) && !errors.Is(err, bus.ErrClosed) {
			e.Errorf("Consume = %v, want context.Canceled", err)
		}
	})
	return r
}

// wait waits at most waitLong for Consume to return, and returns what it
// returned and whether it did.
func (r *running) wait() (error, bool) {
	select {
	case <-r.finished:
		return r.err, true
	case <-time.After(waitLong):
		return nil, false
	}
}

// assertRunning fails the test if the Consume call has returned.
func (r *running) assertRunning(t *testing.T) {
	t.Helper()
	select {
	case <-r.finished:
		t.Fatalf("Consume returned early: %v", r.err)
	default:
	}
}

// got is one recorded delivery.
type got struct {
	m  *bus.Message
	n  uint64
	by int
	at time.Time
}

// recorder collects deliveries.
type recorder struct {
	mu     sync.Mutex
	list   []got
	change chan struct{}
}

func newRecorder() *recorder { return &recorder{change: make(chan struct{})} }

func (r *recorder) add(d bus.Delivery, by int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, got{m: d.Message(), n: d.NumDelivered(), by: by, at: time.Now()})
	close(r.change)
	r.change = make(chan struct{})
}

func (r *recorder) all() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// wait waits until at least n deliveries are recorded and returns them.
func (r *recorder) wait(t *testing.T, n int) []got {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		r.mu.Lock()
		l, ch := len(r.list), r.change
		r.mu.Unlock()
		if l >= n {
			return r.all()
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("got %d deliveries within %v, want %d: %v", l, waitLong, n, ids(r.all()))
		}
	}
}

// acking returns a handler that records each delivery and acknowledges it.
func (r *recorder) acking(by int) bus.Handler {
	return func(ctx context.Context, d bus.Delivery) error {
		r.add(d, by)
		return d.Ack(ctx)
	}
}

func ids(l []got) []string {
	s := make([]string, len(l))
	for i, g := range l {
		s[i] = fmt.Sprintf("%s#%d", g.m.ID, g.n)
	}
	return s
}

func datas(l []got) []string {
	s := make([]string, len(l))
	for i, g := range l {
		s[i] = string(g.m.Data)
	}
	return s
}

func testRoundTrip(e *env) {
	b := e.bus()
	cases := []struct {
		name string
		m    *bus.Message
	}{
		{"UnscopedWithEverything", &bus.Message{Topic: bus.Files, Pipeline: e.pipeline(), Key: "dir/a.csv", ID: "v1",
			Header: map[string]string{bus.HeaderType: bus.TypeFileDiscovered, "X-Extra": "a value: with colon"}, Data: []byte(`{"a":1}`)}},
		{"ScopedWithKey", &bus.Message{Topic: bus.Committed, Pipeline: e.pipeline(), Scope: "dest_1", Key: "v2", ID: "v2/dest_1",
			Header: map[string]string{bus.HeaderType: bus.TypeFileCommitted}, Data: []byte("x")}},
		{"BatchWithBinaryData", &bus.Message{Topic: bus.Batches, Pipeline: e.pipeline(), Scope: "v3", Key: "v3", ID: "v3/t/0",
			Header: map[string]string{bus.HeaderType: bus.TypeBatch, bus.HeaderTable: "t", bus.HeaderSeq: "0"}, Data: []byte{0, 1, 2, 0xff, '\r', '\n'}}},
		{"BareMessage", &bus.Message{Topic: bus.Parsed, Pipeline: e.pipeline(), Data: []byte("bare")}},
		{"EmptyData", &bus.Message{Topic: bus.Parsed, Pipeline: e.pipeline(), ID: "empty"}},
	}
	for _, tc := range cases {
		e.Run(tc.name, func(t *testing.T) {
			p := tc.m.Pipeline
			if err := b.Publish(t.Context(), tc.m); err != nil {
				t.Fatal(err)
			}
			// The group starts after the publish: it must still get it.
			rec := newRecorder()
			(&env{T: t, h: e.h, connect: e.connect}).consume(b, bus.ConsumerConfig{
				Topic: tc.m.Topic, Pipeline: p, Scope: tc.m.Scope, Group: "g-" + tc.name, AckWait: longAckWait,
			}, rec.acking(0))
			g := rec.wait(t, 1)[0]
			assertSameMessage(t, g.m, tc.m)
			if g.n != 1 {
				t.Errorf("NumDelivered = %d, want 1", g.n)
			}
		})
	}
}

// testKeyOfAnyBytes publishes messages whose keys are file names with
// every kind of byte a Linux file name may hold (all but NUL and '/' in a
// name), and reads them back through a group consumer and a cursor.
func testKeyOfAnyBytes(e *env) {
	b := e.bus()
	p := e.pipeline()
	keys := []string{
		"dir/plain.csv", "line\nbreak.csv", "crlf\r\n.csv", "carriage\rreturn.csv", "tab\there.csv",
		"bell\a\x01\x1f\x7f.csv", "not-utf8-\xe9t\xe9\xff.csv", " leading space.csv", "trailing space.csv ",
		"\t leading tab.csv", `"quoted".csv`, `"\x41"`, `back\slash.csv`, "100%41.csv", "é 数据.csv", "a:b: c.csv",
	}
	want := map[string]string{}
	for i, k := range keys {
		id := fmt.Sprintf("k%d", i)
		want[id] = k
		e.publish(b, &bus.Message{Topic: bus.Files, Pipeline: p, Key: k, ID: id,
			Header: map[string]string{bus.HeaderType: bus.TypeFileDiscovered}, Data: []byte(id)})
	}
	check := func(how string, m *bus.Message) {
		e.Helper()
		if k, ok := want[m.ID]; !ok || m.Key != k {
			e.Errorf("%s: message %q has key %q, want %q", how, m.ID, m.Key, k)
		}
	}
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait}, rec.acking(0))
	for _, g := range rec.wait(e.T, len(keys)) {
		check("Consume", g.m)
	}
	c, err := b.Read(e.Context(), bus.Files, p, "")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	for range keys {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		check("Read", m)
	}
}

// assertSameMessage compares two messages, taking a nil and an empty
// header or payload as equal.
func assertSameMessage(t *testing.T, got, want *bus.Message) {
	t.Helper()
	if got.Topic != want.Topic || got.Pipeline != want.Pipeline || got.Scope != want.Scope {
		t.Errorf("address = %s/%s/%q, want %s/%s/%q", got.Topic, got.Pipeline, got.Scope, want.Topic, want.Pipeline, want.Scope)
	}
	if got.Key != want.Key || got.ID != want.ID {
		t.Errorf("key, id = %q, %q; want %q, %q", got.Key, got.ID, want.Key, want.ID)
	}
	if len(got.Header) != 0 || len(want.Header) != 0 {
		if !maps.Equal(got.Header, want.Header) {
			t.Errorf("header = %v, want %v", got.Header, want.Header)
		}
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("data = %q, want %q", got.Data, want.Data)
	}
}

func testDedup(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, msg(bus.Files, p, "", "same", "first"), msg(bus.Files, p, "", "same", "second"), msg(bus.Files, p, "", "other", "third"))
	c, err := b.Read(e.Context(), bus.Files, p, "")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	for _, want := range []string{"first", "third"} {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		if string(m.Data) != want {
			e.Fatalf("read %q (id %s), want %q: the duplicate was stored", m.Data, m.ID, want)
		}
	}
}

// next reads the next message, waiting at most waitLong.
func next(t *testing.T, c bus.Cursor) (*bus.Message, error) {
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	return c.Next(ctx)
}

func testDedupIsPerSubject(e *env) {
	b := e.bus()
	p1, p2 := e.pipeline(), e.pipeline()
	sent := []*bus.Message{
		msg(bus.Committed, p1, "d1", "id", "p1 d1"),
		msg(bus.Committed, p1, "d2", "id", "p1 d2"),
		msg(bus.Committed, p2, "d1", "id", "p2 d1"),
		msg(bus.Files, p1, "", "id", "files p1"),
		msg(bus.Parsed, p1, "", "id", "parsed p1"),
	}
	e.publish(b, sent...)
	for _, m := range sent {
		c, err := b.Read(e.Context(), m.Topic, m.Pipeline, m.Scope)
		if err != nil {
			e.Fatal(err)
		}
		r, err := next(e.T, c)
		_ = c.Close()
		if err != nil {
			e.Fatalf("%s: %v", m.Data, err)
		}
		if string(r.Data) != string(m.Data) {
			e.Errorf("read %q, want %q", r.Data, m.Data)
		}
	}
}

func testConcurrentPublish(e *env) {
	const publishers, each = 8, 25
	p := e.pipeline()
	rec := newRecorder()
	for i := range 2 {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait, Concurrency: 4}, rec.acking(i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, publishers*each)
	for w := range publishers {
		b := e.bus()
		wg.Go(func() {
			for i := range each {
				if err := b.Publish(e.Context(), msg(bus.Files, p, "", fmt.Sprintf("w%d-%d", w, i), "x")); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Fatal(err)
	}
	rec.wait(e.T, publishers*each)
	time.Sleep(quiet)
	seen := map[string]int{}
	for _, g := range rec.all() {
		seen[g.m.ID]++
	}
	if len(seen) != publishers*each {
		e.Errorf("got %d distinct messages, want %d", len(seen), publishers*each)
	}
	for id, n := range seen {
		if n != 1 {
			e.Errorf("message %s handled %d times, want once", id, n)
		}
	}
}

func testPublishCancelled(e *env) {
	b := e.bus()
	p := e.pipeline()
	ctx, cancel := context.WithCancel(e.Context())
	cancel()
	err := b.Publish(ctx, msg(bus.Files, p, "", "x", "cancelled"))
	if !errors.Is(err, context.Canceled) {
		e.Fatalf("Publish with a cancelled context = %v, want context.Canceled", err)
	}
	e.publish(b, msg(bus.Files, p, "", "y", "after"))
	c, err := b.Read(e.Context(), bus.Files, p, "")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	m, err := next(e.T, c)
	if err != nil {
		e.Fatal(err)
	}
	if string(m.Data) != "after" {
		e.Fatalf("first stored message is %q, want %q: the cancelled publish was stored", m.Data, "after")
	}
}

func testMaxPayload(e *env) {
	b := e.bus()
	mp, ok := b.(interface{ MaxPayload() int })
	if !ok {
		e.Log("the bus does not report a MaxPayload; only a 1 MiB publish is checked")
	}
	p := e.pipeline()
	limit := 1 << 20
	if ok {
		limit = mp.MaxPayload()
		if limit <= 0 {
			e.Fatalf("MaxPayload() = %d", limit)
		}
	}
	// Producers tell "too large" from a failure worth a retry by
	// bus.ErrTooLarge: the same message would fail forever.
	err := b.Publish(e.Context(), &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: "big", Data: make([]byte, limit+1)})
	if !errors.Is(err, bus.ErrTooLarge) {
		e.Errorf("Publish of %d bytes (MaxPayload %d) = %v, want bus.ErrTooLarge", limit+1, limit, err)
	}
	e.publish(b, &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: "fits", Data: make([]byte, limit-8<<10)})
	kv, err := b.KeyValue(e.Context(), p)
	if err != nil {
		e.Fatal(err)
	}
	if err := kv.Put(e.Context(), "big", make([]byte, limit+1)); !errors.Is(err, bus.ErrTooLarge) {
		e.Errorf("KeyValue.Put of %d bytes (MaxPayload %d) = %v, want bus.ErrTooLarge", limit+1, limit, err)
	}
}

func testInvalidAddress(e *env) {
	b := e.bus()
	p := e.pipeline()
	cases := []struct {
		name            string
		topic           bus.Topic
		pipeline, scope string
	}{
		{"EmptyPipeline", bus.Files, "", ""},
		{"DotInPipeline", bus.Files, "a.b", ""},
		{"StarInPipeline", bus.Files, "a*", ""},
		{"GreaterInPipeline", bus.Files, "a>", ""},
		{"SpaceInPipeline", bus.Files, "a b", ""},
		{"DotInScope", bus.Committed, p, "x.y"},
		{"NoScopeOnScopedBatches", bus.Batches, p, ""},
		{"NoScopeOnScopedCommitted", bus.Committed, p, ""},
		{"TabInScope", bus.Committed, p, "x\ty"},
		{"UnknownTopic", bus.Topic("nope"), p, ""},
		{"ScopeOnUnscopedFiles", bus.Files, p, "x"},
		{"ScopeOnUnscopedParsed", bus.Parsed, p, "x"},
	}
	for _, tc := range cases {
		e.Run(tc.name, func(t *testing.T) {
			if err := b.Publish(t.Context(), msg(tc.topic, tc.pipeline, tc.scope, "x", "x")); err == nil {
				t.Error("Publish succeeded")
			}
			if c, err := b.Read(t.Context(), tc.topic, tc.pipeline, tc.scope); err == nil {
				_ = c.Close()
				t.Error("Read succeeded")
			}
			if scoped := tc.topic == bus.Batches || tc.topic == bus.Committed; scoped && tc.scope == "" {
				return // a consumer may take every scope of a scoped topic
			}
			ctx, cancel := context.WithTimeout(t.Context(), waitLong)
			defer cancel()
			err := b.Consume(ctx, bus.ConsumerConfig{Topic: tc.topic, Pipeline: tc.pipeline, Scope: tc.scope, Group: "g"},
				func(context.Context, bus.Delivery) error { return nil })
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Consume = %v, want an immediate error", err)
			}
		})
	}
}

func testGroupShares(e *env) {
	const n = 20
	p := e.pipeline()
	rec := newRecorder()
	for i := range 2 {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "parsers", AckWait: longAckWait},
			func(ctx context.Context, d bus.Delivery) error {
				rec.add(d, i)
				time.Sleep(20 * time.Millisecond)
				return d.Ack(ctx)
			})
	}
	b := e.bus()
	for i := range n {
		e.publish(b, msg(bus.Files, p, "", fmt.Sprint(i), "x"))
	}
	rec.wait(e.T, n)
	time.Sleep(quiet)
	all := rec.all()
	perConsumer := map[int]int{}
	seen := map[string]bool{}
	for _, g := range all {
		perConsumer[g.by]++
		if seen[g.m.ID] {
			e.Errorf("message %s handled twice", g.m.ID)
		}
		seen[g.m.ID] = true
	}
	if len(all) != n {
		e.Errorf("%d deliveries, want %d", len(all), n)
	}
	if perConsumer[0] == 0 || perConsumer[1] == 0 {
		e.Errorf("deliveries per consumer = %v, want both to get some", perConsumer)
	}
}

func testGroupsFanOut(e *env) {
	const n = 10
	b := e.bus()
	p := e.pipeline()
	recs := []*recorder{newRecorder(), newRecorder()}
	for i, r := range recs {
		e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Group: fmt.Sprintf("sink-%d", i), AckWait: longAckWait}, r.acking(i))
	}
	for i := range n {
		e.publish(b, msg(bus.Parsed, p, "", fmt.Sprint(i), fmt.Sprint(i)))
	}
	for i, r := range recs {
		r.wait(e.T, n)
		time.Sleep(quiet / 2)
		want := make([]string, n)
		for j := range want {
			want[j] = fmt.Sprint(j)
		}
		if got := datas(r.all()); !slices.Equal(got, want) {
			e.Errorf("group %d got %v, want %v", i, got, want)
		}
	}
}

func testNak(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if d.NumDelivered() == 1 {
				return d.Nak(ctx, 0)
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	l := rec.wait(e.T, 2)
	if l[0].n != 1 || l[1].n != 2 || l[1].m.ID != "m" {
		e.Errorf("deliveries = %v, want [m#1 m#2]", ids(l))
	}
}

func testAckWait(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if d.NumDelivered() == 1 {
				return nil // neither settled nor failed: wait for AckWait
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	l := rec.wait(e.T, 2)
	if l[1].n != 2 {
		e.Errorf("second delivery has NumDelivered %d, want 2", l[1].n)
	}
	if gap := l[1].at.Sub(l[0].at); gap < shortAckWait*8/10 {
		e.Errorf("redelivered after %v, before AckWait %v", gap, shortAckWait)
	}
}

func testHandlerError(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if d.NumDelivered() == 1 {
				return errors.New("transient failure")
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	l := rec.wait(e.T, 2) // within waitLong < longAckWait: it was nak'ed
	if l[1].n != 2 {
		e.Errorf("deliveries = %v, want [m#1 m#2]", ids(l))
	}
}

func testHandlerPanic(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	r := e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if d.Message().ID == "boom" && d.NumDelivered() == 1 {
				panic("handler bug")
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "boom", "x"))
	l := rec.wait(e.T, 2)
	if l[1].m.ID != "boom" || l[1].n != 2 {
		e.Errorf("deliveries = %v, want [boom#1 boom#2]", ids(l))
	}
	e.publish(b, msg(bus.Files, p, "", "after", "x"))
	l = rec.wait(e.T, 3)
	if l[2].m.ID != "after" {
		e.Errorf("deliveries = %v, want the next message handled after the panic", ids(l))
	}
	r.assertRunning(e.T)
}

func testTerm(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if d.Message().ID == "poison" {
				return d.Term(ctx)
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "poison", "x"), msg(bus.Files, p, "", "good", "y"))
	rec.wait(e.T, 2)
	time.Sleep(shortAckWait + quiet)
	if l := rec.all(); len(l) != 2 {
		e.Errorf("deliveries = %v, want [poison#1 good#1]", ids(l))
	}
}

func testInProgress(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	var progressErr atomic.Value
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			for range 7 { // 7 x 150ms: well past AckWait
				time.Sleep(shortAckWait * 3 / 10)
				if err := d.InProgress(ctx); err != nil {
					progressErr.Store(err)
				}
			}
			return d.Ack(ctx)
		})
	e.publish(b, msg(bus.Files, p, "", "slow", "x"))
	rec.wait(e.T, 1)
	time.Sleep(7*shortAckWait*3/10 + shortAckWait + quiet)
	if err := progressErr.Load(); err != nil {
		e.Errorf("InProgress: %v", err)
	}
	if l := rec.all(); len(l) != 1 {
		e.Errorf("deliveries = %v, want [slow#1]", ids(l))
	}
}

func testMaxDeliver(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait, MaxDeliver: 2},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			return nil // never settled
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	rec.wait(e.T, 2)
	time.Sleep(2*shortAckWait + quiet)
	if l := rec.all(); len(l) != 2 {
		e.Errorf("deliveries = %v, want [m#1 m#2] with MaxDeliver 2", ids(l))
	}
}

func testSettleTwice(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	var secondErr atomic.Value
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			rec.add(d, 0)
			if err := d.Ack(ctx); err != nil {
				return err
			}
			secondErr.Store(fmt.Sprint(d.Nak(ctx, 0)))
			return nil
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	rec.wait(e.T, 1)
	time.Sleep(shortAckWait + quiet)
	if got := secondErr.Load(); got == nil || got == fmt.Sprint(nil) {
		e.Errorf("Nak after Ack = %v, want an error", got)
	}
	if l := rec.all(); len(l) != 1 {
		e.Errorf("deliveries = %v, want [m#1]: the Nak after the Ack took effect", ids(l))
	}
}

func testCancelDrains(e *env) {
	b := e.bus()
	p := e.pipeline()
	started, release := make(chan struct{}), make(chan struct{})
	var ackErr, handlerCtxErr atomic.Value
	r := e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d bus.Delivery) error {
			close(started)
			<-release
			handlerCtxErr.Store(fmt.Sprint(ctx.Err()))
			ackErr.Store(fmt.Sprint(d.Ack(ctx)))
			return nil
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	select {
	case <-started:
	case <-time.After(waitLong):
		e.Fatal("the handler did not start")
	}
	r.cancel()
	select {
	case <-r.finished:
		e.Fatalf("Consume returned %v while its handler was still running", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err, ok := r.wait(); !ok {
		e.Fatal("Consume did not return after its handler finished")
	} else if !errors.Is(err, context.Canceled) {
		e.Errorf("Consume = %v, want context.Canceled", err)
	}
	if got := handlerCtxErr.Load(); got != fmt.Sprint(context.Canceled) {
		e.Errorf("the handler's context error after cancel = %v, want %v", got, context.Canceled)
	}
	if got := ackErr.Load(); got != fmt.Sprint(nil) {
		e.Fatalf("Ack by a handler finishing during shutdown = %v, want nil", got)
	}
	// The Ack stuck: the group has nothing left to deliver.
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait}, rec.acking(0))
	time.Sleep(shortAckWait + quiet)
	if l := rec.all(); len(l) != 0 {
		e.Errorf("after restart the group got %v, want nothing", ids(l))
	}
}

func testScopeFilter(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, msg(bus.Committed, p, "d1", "a", "a"), msg(bus.Committed, p, "d2", "b", "b"), msg(bus.Committed, p, "d1", "c", "c"))
	one, every := newRecorder(), newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p, Scope: "d1", Group: "g", AckWait: longAckWait}, one.acking(0))
	e.consume(b, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p, Group: "g", AckWait: longAckWait}, every.acking(0))
	if got := datas(one.wait(e.T, 2)); !slices.Equal(got, []string{"a", "c"}) {
		e.Errorf("scope d1 got %v, want [a c]", got)
	}
	if got := datas(every.wait(e.T, 3)); !slices.Equal(got, []string{"a", "b", "c"}) {
		e.Errorf("every scope got %v, want [a b c]", got)
	}
	for _, g := range every.all() {
		if want := map[string]string{"a": "d1", "b": "d2", "c": "d1"}[string(g.m.Data)]; g.m.Scope != want {
			e.Errorf("message %s has scope %q, want %q", g.m.Data, g.m.Scope, want)
		}
	}
}

func testUngrouped(e *env) {
	b := e.bus()
	p := e.pipeline()
	want := []string{"0", "1", "2", "3", "4"}
	for _, d := range want[:3] {
		e.publish(b, msg(bus.Committed, p, "dest", d, d))
	}
	recs := []*recorder{newRecorder(), newRecorder()}
	for i, r := range recs {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p}, func(ctx context.Context, d bus.Delivery) error {
			r.add(d, i)
			return d.Ack(ctx)
		})
	}
	for _, d := range want[3:] {
		e.publish(b, msg(bus.Committed, p, "dest", d, d))
	}
	for i, r := range recs {
		r.wait(e.T, len(want))
		time.Sleep(quiet / 2)
		if got := datas(r.all()); !slices.Equal(got, want) {
			e.Errorf("follower %d got %v, want %v", i, got, want)
		}
	}
}

func testRead(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, msg(bus.Batches, p, "v1", "v1/0", "v1-0"), msg(bus.Batches, p, "v2", "v2/0", "v2-0"), msg(bus.Batches, p, "v1", "v1/1", "v1-1"))
	c, err := b.Read(e.Context(), bus.Batches, p, "v1")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	for _, want := range []string{"v1-0", "v1-1"} {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		if string(m.Data) != want || m.Scope != "v1" {
			e.Fatalf("read %q in scope %q, want %q in v1", m.Data, m.Scope, want)
		}
	}
	ctx, cancel := context.WithTimeout(e.Context(), 300*time.Millisecond)
	m, err := c.Next(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		e.Fatalf("Next with nothing left = %v, %v; want context.DeadlineExceeded", m, err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = b.Publish(context.Background(), msg(bus.Batches, p, "v2", "v2/1", "v2-1"))
		_ = b.Publish(context.Background(), msg(bus.Batches, p, "v1", "v1/end", "v1-end"))
	}()
	m, err = next(e.T, c)
	if err != nil {
		e.Fatal(err)
	}
	if string(m.Data) != "v1-end" {
		e.Fatalf("read %q after waiting, want %q", m.Data, "v1-end")
	}
}

func testReadLarge(e *env) {
	const n = 40
	b := e.bus()
	p := e.pipeline()
	size := 256 << 10
	if mp, ok := b.(interface{ MaxPayload() int }); ok {
		size = min(size, mp.MaxPayload()/2)
	}
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
	for i := range n {
		e.publish(b, &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: fmt.Sprint(i), Data: payload(i)})
	}
	c, err := b.Read(e.Context(), bus.Batches, p, "v")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		if m.ID != fmt.Sprint(i) || !bytes.Equal(m.Data, payload(i)) {
			e.Fatalf("message %d: id %s, %d bytes; want id %d, %d bytes of %d", i, m.ID, len(m.Data), i, size, i)
		}
	}
}

func testReadClosed(e *env) {
	b := e.bus()
	p := e.pipeline()
	c, err := b.Read(e.Context(), bus.Batches, p, "v")
	if err != nil {
		e.Fatal(err)
	}
	if err := c.Close(); err != nil {
		e.Fatal(err)
	}
	if _, err := c.Next(e.Context()); !errors.Is(err, bus.ErrClosed) {
		e.Errorf("Next after Close = %v, want bus.ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		e.Errorf("second Close = %v, want nil", err)
	}
}

func testKeyValue(e *env) {
	b := e.bus()
	kv, err := b.KeyValue(e.Context(), e.pipeline())
	if err != nil {
		e.Fatal(err)
	}
	ctx := e.Context()
	keys := func() []string {
		e.Helper()
		k, err := kv.Keys(ctx)
		if err != nil {
			e.Fatalf("Keys: %v", err)
		}
		if k == nil {
			e.Fatal("Keys returned nil, want an empty list")
		}
		slices.Sort(k)
		return k
	}
	if k := keys(); len(k) != 0 {
		e.Fatalf("Keys of a new bucket = %v, want none", k)
	}
	if _, err := kv.Get(ctx, "absent"); !errors.Is(err, bus.ErrNotFound) {
		e.Errorf("Get(absent) = %v, want bus.ErrNotFound", err)
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"Put", func() error { return kv.Put(ctx, "sink.pg=1", []byte("one")) }, map[string]string{"sink.pg=1": "one"}},
		{"PutAnother", func() error { return kv.Put(ctx, "watcher_a-b", []byte("two")) }, map[string]string{"sink.pg=1": "one", "watcher_a-b": "two"}},
		{"Overwrite", func() error { return kv.Put(ctx, "sink.pg=1", []byte("uno")) }, map[string]string{"sink.pg=1": "uno", "watcher_a-b": "two"}},
		{"Delete", func() error { return kv.Delete(ctx, "sink.pg=1") }, map[string]string{"watcher_a-b": "two"}},
		{"DeleteAbsent", func() error { return kv.Delete(ctx, "never-set") }, map[string]string{"watcher_a-b": "two"}},
		{"PutEmptyValue", func() error { return kv.Put(ctx, "empty", nil) }, map[string]string{"watcher_a-b": "two", "empty": ""}},
		{"DeleteAll", func() error {
			return errors.Join(kv.Delete(ctx, "watcher_a-b"), kv.Delete(ctx, "empty"))
		}, map[string]string{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			e.Fatalf("%s: %v", s.name, err)
		}
		want := slices.Sorted(maps.Keys(s.want))
		if k := keys(); !slices.Equal(k, want) {
			e.Errorf("%s: Keys = %v, want %v", s.name, k, want)
		}
		for k, v := range s.want {
			got, err := kv.Get(ctx, k)
			if err != nil || string(got) != v {
				e.Errorf("%s: Get(%s) = %q, %v; want %q", s.name, k, got, err, v)
			}
		}
	}
	if _, err := kv.Get(ctx, "sink.pg=1"); !errors.Is(err, bus.ErrNotFound) {
		e.Errorf("Get of a deleted key = %v, want bus.ErrNotFound", err)
	}
}

func testKeyValueShared(e *env) {
	bucket := e.pipeline()
	kv1, err := e.bus().KeyValue(e.Context(), bucket)
	if err != nil {
		e.Fatal(err)
	}
	if err := kv1.Put(e.Context(), "k", []byte("v")); err != nil {
		e.Fatal(err)
	}
	kv2, err := e.bus().KeyValue(e.Context(), bucket)
	if err != nil {
		e.Fatal(err)
	}
	if v, err := kv2.Get(e.Context(), "k"); err != nil || string(v) != "v" {
		e.Errorf("Get from a second connection = %q, %v; want %q", v, err, "v")
	}
}

func testClosed(e *env) {
	b := e.bus()
	p := e.pipeline()
	kv, err := b.KeyValue(e.Context(), p)
	if err != nil {
		e.Fatal(err)
	}
	if err := b.Close(); err != nil {
		e.Fatal(err)
	}
	if err := b.Close(); err != nil {
		e.Errorf("second Close = %v, want nil", err)
	}
	ctx := e.Context()
	checks := map[string]error{
		"Publish": b.Publish(ctx, msg(bus.Files, p, "", "x", "x")),
		"Consume": b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g"}, func(context.Context, bus.Delivery) error { return nil }),
		"Put":     kv.Put(ctx, "k", []byte("v")),
	}
	_, checks["Read"] = b.Read(ctx, bus.Files, p, "")
	_, checks["KeyValue"] = b.KeyValue(ctx, p)
	for op, err := range checks {
		if !errors.Is(err, bus.ErrClosed) {
			e.Errorf("%s after Close = %v, want bus.ErrClosed", op, err)
		}
	}
}

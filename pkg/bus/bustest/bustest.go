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
	// isolates its tests by giving each its own pipelines and tables.
	New func(t *testing.T) (connect func(t *testing.T) bus.Bus)
	// Release, if set, is called when a test ends for each pipeline it
	// used, to remove what the test left on a shared broker: consumers and
	// messages of that pipeline, and the table named after it.
	Release func(t *testing.T, pipeline string)
}

// Timings used by the suite. Tests of a member that dies use shortAckWait;
// the others use longAckWait, so that a redelivery they see can only come
// from an outcome.
const (
	shortAckWait = 500 * time.Millisecond
	longAckWait  = 20 * time.Second
	waitLong     = 30 * time.Second // upper bound for anything expected to happen
	// quiet is how long a test watches for something that must not happen.
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
		{"Publish/SameIDOnAnotherPipelineOrScopeIsNotADuplicate", testDedupIsPerAddress},
		{"Publish/ConcurrentPublishesAreEachDeliveredOnceToAGroup", testConcurrentPublish},
		{"Publish/CancelledContextFailsAndStoresNothing", testPublishCancelled},
		{"Publish/PayloadAboveMaxPayloadIsRejectedWithErrTooLarge", testMaxPayload},
		{"Address/InvalidPipelineScopeOrTopicIsRejected", testInvalidAddress},
		{"Consume/GroupSharesMessagesBetweenConsumers", testGroupShares},
		{"Consume/EachGroupGetsEveryMessage", testGroupsFanOut},
		{"Consume/OrderIsPublishOrderPerKey", testOrderPerKey},
		{"Consume/RetryRedeliversAfterTheDelayWithTheNextAttempt", testRetry},
		{"Consume/RetriedMessageDoesNotHoldUpTheMessagesBehindIt", testRetryDoesNotBlock},
		{"Consume/MessageOfAMemberThatDiesGoesToAnotherMember", testMemberDies},
		{"Consume/AttemptsAreCountedAcrossMembers", testSharedAttempts},
		{"Consume/HandlerPanicIsRecoveredAndMessageRetried", testHandlerPanic},
		{"Consume/GiveUpStopsRedelivery", testGiveUp},
		{"Consume/HandlerRunningPastAckWaitIsNotRedelivered", testLongHandler},
		{"Consume/CancelReturnsCtxErrAfterInFlightHandlersFinish", testCancelDrains},
		{"Consume/ScopeFiltersAScopedTopic", testScopeFilter},
		{"Consume/FollowerSeesEveryMessageFromTheFirst", testFollower},
		{"Consume/StartLatestSkipsWhatWasPublishedBefore", testStartLatest},
		{"Consume/StartAtATimeSkipsWhatWasPublishedBefore", testStartAt},
		{"Read/ReturnsOneVersionInOrderAndWaitsForLaterMessages", testRead},
		{"Read/CursorOpenedBeforeTheFirstPublishGetsTheVersion", testReadBeforePublish},
		{"Read/StreamsManyLargeMessagesInOrder", testReadLarge},
		{"Read/ClosedCursorReturnsErrClosed", testReadClosed},
		{"Table/PutGetDeleteRange", testTable},
		{"Table/IsSharedBetweenConnections", testTableShared},
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

// msg returns a message whose key is its id.
func msg(t bus.Topic, pipeline, scope, id, data string) *bus.Message {
	return &bus.Message{Topic: t, Pipeline: pipeline, Scope: scope, Key: id, ID: id, Data: []byte(data)}
}

// keyed returns a message with the key key.
func keyed(t bus.Topic, pipeline, key, id, data string) *bus.Message {
	return &bus.Message{Topic: t, Pipeline: pipeline, Key: key, ID: id, Data: []byte(data)}
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
	n  int
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

func (r *recorder) add(d *bus.Delivery, by int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, got{m: d.Message, n: d.Attempt, by: by, at: time.Now()})
	close(r.change)
	r.change = make(chan struct{})
}

func (r *recorder) all() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// waitFor waits until ok holds for the deliveries recorded, and returns
// them; it fails the test after waitLong, saying what it waited for.
func (r *recorder) waitFor(t *testing.T, what string, ok func([]got) bool) []got {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		r.mu.Lock()
		l, ch := slices.Clone(r.list), r.change
		r.mu.Unlock()
		if ok(l) {
			return l
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("within %v: want %s; got %v", waitLong, what, ids(l))
		}
	}
}

// wait waits until at least n deliveries are recorded and returns them.
func (r *recorder) wait(t *testing.T, n int) []got {
	t.Helper()
	return r.waitFor(t, fmt.Sprintf("%d deliveries", n), func(l []got) bool { return len(l) >= n })
}

// waitID waits until a delivery of id with attempt n or more is recorded.
func (r *recorder) waitID(t *testing.T, id string, n int) got {
	t.Helper()
	var found got
	r.waitFor(t, fmt.Sprintf("%s#%d", id, n), func(l []got) bool {
		for _, g := range l {
			if g.m.ID == id && g.n >= n {
				found = g
				return true
			}
		}
		return false
	})
	return found
}

// done returns a handler that records each delivery and says it is done.
func (r *recorder) done(by int) bus.Handler {
	return func(ctx context.Context, d *bus.Delivery) bus.Outcome {
		r.add(d, by)
		return bus.Done()
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

// follow returns the data of the first n messages of topic, pipeline and
// scope, as a follower from the first gets them.
func (e *env) follow(b bus.Bus, topic bus.Topic, pipeline, scope string, n int) []got {
	e.Helper()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: topic, Pipeline: pipeline, Scope: scope}, rec.done(0))
	return rec.wait(e.T, n)[:n]
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
			}, rec.done(0))
			g := rec.wait(t, 1)[0]
			assertSameMessage(t, g.m, tc.m)
			if g.n != 1 {
				t.Errorf("Attempt = %d, want 1", g.n)
			}
			if tc.m.Topic == bus.Batches {
				c, err := b.Read(t.Context(), p, tc.m.Scope)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				m, err := next(t, c)
				if err != nil {
					t.Fatal(err)
				}
				assertSameMessage(t, m, tc.m)
			}
		})
	}
}

// testKeyOfAnyBytes publishes messages whose keys are file names with
// every kind of byte a Linux file name may hold (all but NUL and '/' in a
// name), and reads them back through a group consumer and a follower.
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
		e.publish(b, keyed(bus.Files, p, k, id, id))
	}
	check := func(how string, m *bus.Message) {
		e.Helper()
		if k, ok := want[m.ID]; !ok || m.Key != k {
			e.Errorf("%s: message %q has key %q, want %q", how, m.ID, m.Key, k)
		}
	}
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait}, rec.done(0))
	for _, g := range rec.wait(e.T, len(keys)) {
		check("Consume", g.m)
	}
	for _, g := range e.follow(b, bus.Files, p, "", len(keys)) {
		check("follower", g.m)
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
	if !b.Capabilities().Dedup {
		e.Log("the bus does not deduplicate publishes (Capabilities.Dedup is false): nothing to check")
		return
	}
	p := e.pipeline()
	e.publish(b, keyed(bus.Files, p, "", "same", "first"), keyed(bus.Files, p, "", "same", "second"), keyed(bus.Files, p, "", "other", "third"))
	e.publish(b, keyed(bus.Files, p, "", "end", "end"))
	if got := datas(e.follow(b, bus.Files, p, "", 3)); !slices.Equal(got, []string{"first", "third", "end"}) {
		e.Fatalf("stored %v, want [first third end]: the duplicate was stored", got)
	}
}

// next reads the next message, waiting at most waitLong.
func next(t *testing.T, c bus.Cursor) (*bus.Message, error) {
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	return c.Next(ctx)
}

func testDedupIsPerAddress(e *env) {
	b := e.bus()
	p1, p2 := e.pipeline(), e.pipeline()
	sent := []*bus.Message{
		keyed(bus.Files, p1, "k", "id", "files p1"),
		keyed(bus.Parsed, p1, "k", "id", "parsed p1"),
		{Topic: bus.Committed, Pipeline: p1, Scope: "d1", Key: "k", ID: "id", Data: []byte("p1 d1")},
		{Topic: bus.Committed, Pipeline: p1, Scope: "d2", Key: "k", ID: "id", Data: []byte("p1 d2")},
		{Topic: bus.Committed, Pipeline: p2, Scope: "d1", Key: "k", ID: "id", Data: []byte("p2 d1")},
	}
	e.publish(b, sent...)
	for _, m := range sent {
		if got := datas(e.follow(b, m.Topic, m.Pipeline, m.Scope, 1)); got[0] != string(m.Data) {
			e.Errorf("%s/%s/%s: read %q, want %q", m.Topic, m.Pipeline, m.Scope, got[0], m.Data)
		}
	}
}

func testConcurrentPublish(e *env) {
	const publishers, each = 8, 25
	p := e.pipeline()
	rec := newRecorder()
	for i := range 2 {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait, Concurrency: 4}, rec.done(i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, publishers*each)
	for w := range publishers {
		b := e.bus()
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := b.Publish(e.Context(), msg(bus.Files, p, "", id, "x")); err != nil {
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
	err := b.Publish(ctx, keyed(bus.Files, p, "", "x", "cancelled"))
	if !errors.Is(err, context.Canceled) {
		e.Fatalf("Publish with a cancelled context = %v, want context.Canceled", err)
	}
	e.publish(b, keyed(bus.Files, p, "", "y", "after"))
	if got := datas(e.follow(b, bus.Files, p, "", 1)); got[0] != "after" {
		e.Fatalf("first stored message is %q, want %q: the cancelled publish was stored", got[0], "after")
	}
}

func testMaxPayload(e *env) {
	b := e.bus()
	p := e.pipeline()
	limit := b.Capabilities().MaxPayload
	if limit <= 0 {
		e.Fatalf("Capabilities().MaxPayload = %d", limit)
	}
	// Producers tell "too large" from a failure worth a retry by
	// bus.ErrTooLarge: the same message would fail forever.
	err := b.Publish(e.Context(), &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: "big", Data: make([]byte, limit+1)})
	if !errors.Is(err, bus.ErrTooLarge) {
		e.Errorf("Publish of %d bytes (MaxPayload %d) = %v, want bus.ErrTooLarge", limit+1, limit, err)
	}
	e.publish(b, &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: "fits", Data: make([]byte, limit-8<<10)})
	tables, ok := b.(bus.Tables)
	if !ok {
		return
	}
	tb, err := tables.Table(e.Context(), p)
	if err != nil {
		e.Fatal(err)
	}
	if err := tb.Put(e.Context(), "big", make([]byte, limit+1)); !errors.Is(err, bus.ErrTooLarge) {
		e.Errorf("Table.Put of %d bytes (MaxPayload %d) = %v, want bus.ErrTooLarge", limit+1, limit, err)
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
		{"DotInVersion", bus.Batches, p, "x.y"},
		{"NoScopeOnScopedBatches", bus.Batches, p, ""},
		{"NoScopeOnScopedCommitted", bus.Committed, p, ""},
		{"TabInScope", bus.Committed, p, "x\ty"},
		{"UnknownTopic", bus.Topic("nope"), p, ""},
		{"ScopeOnUnscopedFiles", bus.Files, p, "x"},
		{"ScopeOnUnscopedParsed", bus.Parsed, p, "x"},
	}
	for _, tc := range cases {
		e.Run(tc.name, func(t *testing.T) {
			err := b.Publish(t.Context(), msg(tc.topic, tc.pipeline, tc.scope, "x", "x"))
			if !errors.Is(err, bus.ErrInvalidAddress) {
				t.Errorf("Publish = %v, want bus.ErrInvalidAddress", err)
			}
			if tc.topic == bus.Batches {
				if c, err := b.Read(t.Context(), tc.pipeline, tc.scope); !errors.Is(err, bus.ErrInvalidAddress) {
					if err == nil {
						_ = c.Close()
					}
					t.Errorf("Read = %v, want bus.ErrInvalidAddress", err)
				}
			}
			if bus.Scoped(tc.topic) && tc.scope == "" {
				return // a consumer may take every scope of a scoped topic
			}
			ctx, cancel := context.WithTimeout(t.Context(), waitLong)
			defer cancel()
			err = b.Consume(ctx, bus.ConsumerConfig{Topic: tc.topic, Pipeline: tc.pipeline, Scope: tc.scope, Group: "g"},
				func(context.Context, *bus.Delivery) bus.Outcome { return bus.Done() })
			if !errors.Is(err, bus.ErrInvalidAddress) {
				t.Errorf("Consume = %v, want an immediate bus.ErrInvalidAddress", err)
			}
		})
	}
	e.Run("ReservedHeader", func(t *testing.T) {
		for _, h := range []string{"Filedge-Key", "nats-msg-id", "Filedge-Bus-Pipeline"} {
			m := keyed(bus.Files, p, "k", "x", "x")
			m.Header = map[string]string{h: "v"}
			if err := b.Publish(t.Context(), m); !errors.Is(err, bus.ErrInvalidAddress) {
				t.Errorf("Publish with header %s = %v, want bus.ErrInvalidAddress", h, err)
			}
		}
	})
}

func testGroupShares(e *env) {
	const n = 40
	p := e.pipeline()
	rec := newRecorder()
	for i := range 2 {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "parsers", AckWait: longAckWait},
			func(ctx context.Context, d *bus.Delivery) bus.Outcome {
				rec.add(d, i)
				time.Sleep(100 * time.Millisecond)
				return bus.Done()
			})
	}
	b := e.bus()
	for i := range n {
		e.publish(b, msg(bus.Files, p, "", fmt.Sprintf("file-%d", i), "x"))
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
		e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Group: fmt.Sprintf("sink-%d", i), AckWait: longAckWait}, r.done(i))
	}
	for i := range n {
		e.publish(b, keyed(bus.Parsed, p, "version", fmt.Sprint(i), fmt.Sprint(i)))
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

// testOrderPerKey publishes the messages of three keys interleaved and
// checks that each key's messages arrive in publish order.
func testOrderPerKey(e *env) {
	const each = 15
	b := e.bus()
	p := e.pipeline()
	keys := []string{"a.csv", "b.csv", "c.csv"}
	for i := range each {
		for _, k := range keys {
			e.publish(b, keyed(bus.Files, p, k, fmt.Sprintf("%s-%d", k, i), fmt.Sprint(i)))
		}
	}
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait}, rec.done(0))
	perKey := map[string][]string{}
	for _, g := range rec.wait(e.T, each*len(keys)) {
		perKey[g.m.Key] = append(perKey[g.m.Key], string(g.m.Data))
	}
	want := make([]string, each)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	for _, k := range keys {
		if !slices.Equal(perKey[k], want) {
			e.Errorf("key %s: got %v, want %v", k, perKey[k], want)
		}
	}
}

func testRetry(e *env) {
	const delay = 600 * time.Millisecond
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 0)
			if d.Attempt == 1 {
				return bus.Retry(delay)
			}
			return bus.Done()
		})
	e.publish(b, msg(bus.Files, p, "", "m", "x"))
	l := rec.wait(e.T, 2)
	if l[0].n != 1 || l[1].n != 2 || l[1].m.ID != "m" {
		e.Errorf("deliveries = %v, want [m#1 m#2]", ids(l))
	}
	if gap := l[1].at.Sub(l[0].at); gap < delay*8/10 {
		e.Errorf("redelivered after %v, before the %v asked for", gap, delay)
	}
	time.Sleep(quiet)
	if l := rec.all(); len(l) != 2 {
		e.Errorf("deliveries = %v, want [m#1 m#2]: Done did not stop the message", ids(l))
	}
}

// testRetryDoesNotHoldUpLaterMessages retries the first message of a key
// for a while: the messages behind it (same key, one handler at a time)
// are handled meanwhile.
func testRetryDoesNotBlock(e *env) {
	const delay = 3 * time.Second
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 0)
			if d.Message.ID == "slow" && d.Attempt == 1 {
				return bus.Retry(delay)
			}
			return bus.Done()
		})
	e.publish(b, keyed(bus.Files, p, "same.csv", "slow", "x"), keyed(bus.Files, p, "same.csv", "next", "y"), keyed(bus.Files, p, "same.csv", "last", "z"))
	l := rec.wait(e.T, 4)
	if got := ids(l); !slices.Equal(got, []string{"slow#1", "next#1", "last#1", "slow#2"}) {
		e.Errorf("deliveries = %v, want [slow#1 next#1 last#1 slow#2]", got)
	}
	if gap := l[2].at.Sub(l[0].at); gap >= delay*8/10 {
		e.Errorf("the messages behind the retried one waited %v, about its retry delay", gap)
	}
}

// testMemberDies: a member takes a message and dies (its connection
// closed) without an outcome, after finishing the message behind it; the
// message goes to another member of the group.
func testMemberDies(e *env) {
	p := e.pipeline()
	b1 := e.bus()
	release := make(chan struct{})
	defer close(release)
	took := make(chan struct{}, 1)
	rec1 := newRecorder()
	e.consume(b1, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait, Concurrency: 2},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec1.add(d, 1)
			if d.Message.ID == "stuck" {
				select {
				case took <- struct{}{}:
				default:
				}
				<-release // hangs until the test ends: the member "dies" meanwhile
			}
			return bus.Done()
		})
	e.publish(e.bus(), keyed(bus.Files, p, "same.csv", "stuck", "x"), keyed(bus.Files, p, "same.csv", "behind", "y"))
	select {
	case <-took:
	case <-time.After(waitLong):
		e.Fatal("the first member did not get the message")
	}
	rec1.waitID(e.T, "behind", 1)
	// The member lives on a while, as long as a bus takes to record what
	// it finished (a Kafka member commits its offsets every 200 ms), then
	// dies.
	time.Sleep(2 * quiet)
	if err := b1.Close(); err != nil {
		e.Fatalf("Close: %v", err)
	}
	rec2 := newRecorder()
	e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait}, rec2.done(2))
	rec2.waitID(e.T, "stuck", 1)
}

func testSharedAttempts(e *env) {
	b1 := e.bus()
	if !b1.Capabilities().SharedAttempts {
		e.Log("the bus counts attempts per member (Capabilities.SharedAttempts is false): nothing to check")
		return
	}
	p := e.pipeline()
	rec := newRecorder()
	r1 := e.consume(b1, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 1)
			return bus.Retry(time.Second)
		})
	e.publish(b1, msg(bus.Files, p, "", "m", "x"))
	rec.wait(e.T, 1)
	r1.cancel()
	if _, ok := r1.wait(); !ok {
		e.Fatal("Consume did not return")
	}
	rec2 := newRecorder()
	e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait}, rec2.done(2))
	if g := rec2.wait(e.T, 1)[0]; g.n != 2 {
		e.Errorf("the second member got attempt %d, want 2", g.n)
	}
}

func testHandlerPanic(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	r := e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 0)
			if d.Message.ID == "boom" && d.Attempt == 1 {
				panic("handler bug")
			}
			return bus.Done()
		})
	e.publish(b, msg(bus.Files, p, "", "boom", "x"))
	rec.waitID(e.T, "boom", 2)
	e.publish(b, msg(bus.Files, p, "", "after", "x"))
	rec.waitID(e.T, "after", 1)
	r.assertRunning(e.T)
}

func testGiveUp(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 0)
			if d.Message.ID == "poison" {
				return bus.GiveUp("undecodable")
			}
			return bus.Done()
		})
	e.publish(b, keyed(bus.Files, p, "k", "poison", "x"), keyed(bus.Files, p, "k", "good", "y"))
	rec.wait(e.T, 2)
	time.Sleep(shortAckWait + quiet)
	if l := rec.all(); len(l) != 2 {
		e.Errorf("deliveries = %v, want [poison#1 good#1]", ids(l))
	}
}

func testLongHandler(e *env) {
	b := e.bus()
	p := e.pipeline()
	rec := newRecorder()
	// Two handlers: a free one would take the message if the bus let it
	// go back to the group.
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: shortAckWait, Concurrency: 2},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			rec.add(d, 0)
			time.Sleep(5 * shortAckWait)
			return bus.Done()
		})
	e.publish(b, msg(bus.Files, p, "", "slow", "x"))
	rec.wait(e.T, 1)
	time.Sleep(5*shortAckWait + shortAckWait + quiet)
	if l := rec.all(); len(l) != 1 {
		e.Errorf("deliveries = %v, want [slow#1]: the message was redelivered while its handler ran", ids(l))
	}
}

func testCancelDrains(e *env) {
	b := e.bus()
	p := e.pipeline()
	started, release := make(chan struct{}), make(chan struct{})
	var handlerCtxErr error
	r := e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait},
		func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			close(started)
			<-release
			handlerCtxErr = ctx.Err()
			return bus.Done()
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
	if !errors.Is(handlerCtxErr, context.Canceled) {
		e.Errorf("the handler's context error after cancel = %v, want %v", handlerCtxErr, context.Canceled)
	}
	// The handler's Done stuck: the group has nothing left to deliver.
	rec := newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g", AckWait: longAckWait}, rec.done(0))
	time.Sleep(2 * quiet)
	if l := rec.all(); len(l) != 0 {
		e.Errorf("after restart the group got %v, want nothing", ids(l))
	}
}

func testScopeFilter(e *env) {
	b := e.bus()
	p := e.pipeline()
	committed := func(scope, id string) *bus.Message {
		return &bus.Message{Topic: bus.Committed, Pipeline: p, Scope: scope, Key: "v", ID: id, Data: []byte(id)}
	}
	e.publish(b, committed("d1", "a"), committed("d2", "b"), committed("d1", "c"))
	one, every := newRecorder(), newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p, Scope: "d1", Group: "g", AckWait: longAckWait}, one.done(0))
	e.consume(b, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p, Group: "g", AckWait: longAckWait}, every.done(0))
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
	time.Sleep(quiet)
	if l := one.all(); len(l) != 2 {
		e.Errorf("scope d1 got %v, want [a c] only", ids(l))
	}
}

func testFollower(e *env) {
	b := e.bus()
	p := e.pipeline()
	committed := func(d string) *bus.Message {
		return &bus.Message{Topic: bus.Committed, Pipeline: p, Scope: "dest", Key: "v", ID: d, Data: []byte(d)}
	}
	want := []string{"0", "1", "2", "3", "4"}
	for _, d := range want[:3] {
		e.publish(b, committed(d))
	}
	recs := []*recorder{newRecorder(), newRecorder()}
	for i, r := range recs {
		e.consume(e.bus(), bus.ConsumerConfig{Topic: bus.Committed, Pipeline: p}, func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			r.add(d, i)
			return bus.Retry(0) // a follower's outcomes do nothing
		})
	}
	for _, d := range want[3:] {
		e.publish(b, committed(d))
	}
	for i, r := range recs {
		r.wait(e.T, len(want))
		time.Sleep(quiet / 2)
		if got := datas(r.all()); !slices.Equal(got, want) {
			e.Errorf("follower %d got %v, want %v", i, got, want)
		}
	}
}

func testStartLatest(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, keyed(bus.Parsed, p, "v", "old", "old"))
	group, follower := newRecorder(), newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Group: "g", AckWait: longAckWait, Start: bus.Latest}, group.done(0))
	e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Start: bus.Latest}, follower.done(1))
	// A consumer that starts at the latest message may take a moment to be
	// in place: publish until both have one, then check the old one never
	// came.
	for i := 0; ; i++ {
		e.publish(b, keyed(bus.Parsed, p, "v", fmt.Sprintf("new-%d", i), "new"))
		if len(group.all()) > 0 && len(follower.all()) > 0 {
			break
		}
		if i > int(waitLong/(200*time.Millisecond)) {
			e.Fatalf("after %d publishes the group got %v, the follower %v", i+1, ids(group.all()), ids(follower.all()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(quiet)
	for name, r := range map[string]*recorder{"group": group, "follower": follower} {
		for _, g := range r.all() {
			if g.m.ID == "old" {
				e.Errorf("the %s starting at the latest message got one published before it started", name)
			}
		}
	}
}

func testStartAt(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, keyed(bus.Parsed, p, "v", "before", "before"))
	time.Sleep(1500 * time.Millisecond) // times on the bus may be the broker's, in milliseconds
	at := time.Now()
	time.Sleep(1500 * time.Millisecond)
	e.publish(b, keyed(bus.Parsed, p, "v", "after-1", "after-1"), keyed(bus.Parsed, p, "v", "after-2", "after-2"))
	group, follower := newRecorder(), newRecorder()
	e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Group: "g", AckWait: longAckWait, Start: bus.StartAt(at)}, group.done(0))
	e.consume(b, bus.ConsumerConfig{Topic: bus.Parsed, Pipeline: p, Start: bus.StartAt(at)}, follower.done(1))
	for name, r := range map[string]*recorder{"group": group, "follower": follower} {
		r.wait(e.T, 2)
		time.Sleep(quiet / 2)
		if got := datas(r.all()); !slices.Equal(got, []string{"after-1", "after-2"}) {
			e.Errorf("the %s starting at %v got %v, want [after-1 after-2]", name, at, got)
		}
	}
}

func batch(p, version, id, data string) *bus.Message {
	return &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: version, Key: version, ID: id, Data: []byte(data)}
}

func testRead(e *env) {
	b := e.bus()
	p := e.pipeline()
	e.publish(b, batch(p, "v1", "v1/0", "v1-0"), batch(p, "v2", "v2/0", "v2-0"), batch(p, "v1", "v1/1", "v1-1"))
	c, err := b.Read(e.Context(), p, "v1")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	for _, want := range []string{"v1-0", "v1-1"} {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		if string(m.Data) != want || m.Scope != "v1" || m.Topic != bus.Batches || m.Pipeline != p {
			e.Fatalf("read %q in %s/%s/%s, want %q in batches/%s/v1", m.Data, m.Topic, m.Pipeline, m.Scope, want, p)
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
		_ = b.Publish(context.Background(), batch(p, "v2", "v2/1", "v2-1"))
		_ = b.Publish(context.Background(), batch(p, "v1", "v1/end", "v1-end"))
	}()
	m, err = next(e.T, c)
	if err != nil {
		e.Fatal(err)
	}
	if string(m.Data) != "v1-end" {
		e.Fatalf("read %q after waiting, want %q", m.Data, "v1-end")
	}
}

// testReadBeforePublish opens the cursor of a version before anything of
// it is published, as a sink does when it takes a file before the parser:
// the version's messages come through it as they are published.
func testReadBeforePublish(e *env) {
	b := e.bus()
	p := e.pipeline()
	c, err := b.Read(e.Context(), p, "v")
	if err != nil {
		e.Fatal(err)
	}
	defer c.Close()
	errs := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		pub := e.bus()
		var err error
		for i := range 3 {
			err = errors.Join(err, pub.Publish(context.Background(), batch(p, "other", fmt.Sprintf("o/%d", i), "other")))
			err = errors.Join(err, pub.Publish(context.Background(), batch(p, "v", fmt.Sprintf("v/%d", i), fmt.Sprint(i))))
		}
		errs <- err
	}()
	for i := range 3 {
		m, err := next(e.T, c)
		if err != nil {
			e.Fatal(err)
		}
		if string(m.Data) != fmt.Sprint(i) {
			e.Fatalf("read %q, want %d", m.Data, i)
		}
	}
	if err := <-errs; err != nil {
		e.Fatal(err)
	}
}

func testReadLarge(e *env) {
	const n = 40
	b := e.bus()
	p := e.pipeline()
	size := min(256<<10, b.Capabilities().MaxPayload/2)
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
	for i := range n {
		e.publish(b, &bus.Message{Topic: bus.Batches, Pipeline: p, Scope: "v", ID: fmt.Sprint(i), Data: payload(i)})
	}
	c, err := b.Read(e.Context(), p, "v")
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
	c, err := b.Read(e.Context(), p, "v")
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

// table opens the table named after a new pipeline, or returns false when
// the bus keeps no tables.
func (e *env) table(b bus.Bus, name string) (bus.Table, bool) {
	e.Helper()
	tables, ok := b.(bus.Tables)
	if !ok {
		e.Log("the bus keeps no tables (no bus.Tables): nothing to check")
		return nil, false
	}
	tb, err := tables.Table(e.Context(), name)
	if err != nil {
		e.Fatal(err)
	}
	return tb, true
}

// contents reads tb whole with Range.
func contents(t *testing.T, tb bus.Table) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := tb.Range(t.Context(), func(k string, v []byte) error {
		if _, dup := m[k]; dup {
			return fmt.Errorf("key %s given twice", k)
		}
		m[k] = string(v)
		return nil
	}); err != nil {
		t.Fatalf("Range: %v", err)
	}
	return m
}

func testTable(e *env) {
	tb, ok := e.table(e.bus(), e.pipeline())
	if !ok {
		return
	}
	ctx := e.Context()
	if m := contents(e.T, tb); len(m) != 0 {
		e.Fatalf("a new table holds %v, want nothing", m)
	}
	if _, err := tb.Get(ctx, "absent"); !errors.Is(err, bus.ErrNotFound) {
		e.Errorf("Get(absent) = %v, want bus.ErrNotFound", err)
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"Put", func() error { return tb.Put(ctx, "sink.pg=1", []byte("one")) }, map[string]string{"sink.pg=1": "one"}},
		{"PutAnother", func() error { return tb.Put(ctx, "watcher_a-b/c", []byte("two")) }, map[string]string{"sink.pg=1": "one", "watcher_a-b/c": "two"}},
		{"Overwrite", func() error { return tb.Put(ctx, "sink.pg=1", []byte("uno")) }, map[string]string{"sink.pg=1": "uno", "watcher_a-b/c": "two"}},
		{"Delete", func() error { return tb.Delete(ctx, "sink.pg=1") }, map[string]string{"watcher_a-b/c": "two"}},
		{"DeleteAbsent", func() error { return tb.Delete(ctx, "never-set") }, map[string]string{"watcher_a-b/c": "two"}},
		{"PutEmptyValue", func() error { return tb.Put(ctx, "empty", nil) }, map[string]string{"watcher_a-b/c": "two", "empty": ""}},
		{"DeleteAll", func() error {
			return errors.Join(tb.Delete(ctx, "watcher_a-b/c"), tb.Delete(ctx, "empty"))
		}, map[string]string{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			e.Fatalf("%s: %v", s.name, err)
		}
		if m := contents(e.T, tb); !maps.Equal(m, s.want) {
			e.Errorf("%s: Range gives %v, want %v", s.name, m, s.want)
		}
		for k, v := range s.want {
			got, err := tb.Get(ctx, k)
			if err != nil || string(got) != v {
				e.Errorf("%s: Get(%s) = %q, %v; want %q", s.name, k, got, err, v)
			}
		}
	}
	if _, err := tb.Get(ctx, "sink.pg=1"); !errors.Is(err, bus.ErrNotFound) {
		e.Errorf("Get of a deleted key = %v, want bus.ErrNotFound", err)
	}
	for _, bad := range []string{"", ".a", "a.", "a b", "a*"} {
		if err := tb.Put(ctx, bad, []byte("x")); !errors.Is(err, bus.ErrInvalidAddress) {
			e.Errorf("Put(%q) = %v, want bus.ErrInvalidAddress", bad, err)
		}
	}
}

func testTableShared(e *env) {
	name := e.pipeline()
	tb1, ok := e.table(e.bus(), name)
	if !ok {
		return
	}
	if err := tb1.Put(e.Context(), "k", []byte("v")); err != nil {
		e.Fatal(err)
	}
	if err := tb1.Put(e.Context(), "gone", []byte("x")); err != nil {
		e.Fatal(err)
	}
	if err := tb1.Delete(e.Context(), "gone"); err != nil {
		e.Fatal(err)
	}
	tb2, _ := e.table(e.bus(), name)
	if v, err := tb2.Get(e.Context(), "k"); err != nil || string(v) != "v" {
		e.Errorf("Get from a second connection = %q, %v; want %q", v, err, "v")
	}
	if m := contents(e.T, tb2); !maps.Equal(m, map[string]string{"k": "v"}) {
		e.Errorf("Range from a second connection = %v, want map[k:v]", m)
	}
}

func testClosed(e *env) {
	b := e.bus()
	p := e.pipeline()
	tb, hasTables := e.table(b, p)
	if err := b.Close(); err != nil {
		e.Fatal(err)
	}
	if err := b.Close(); err != nil {
		e.Errorf("second Close = %v, want nil", err)
	}
	ctx := e.Context()
	checks := map[string]error{
		"Publish": b.Publish(ctx, msg(bus.Files, p, "", "x", "x")),
		"Consume": b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Files, Pipeline: p, Group: "g"}, func(context.Context, *bus.Delivery) bus.Outcome { return bus.Done() }),
	}
	_, checks["Read"] = b.Read(ctx, p, "v")
	if hasTables {
		checks["Table.Put"] = tb.Put(ctx, "k", []byte("v"))
		_, checks["Table"] = b.(bus.Tables).Table(ctx, p)
	}
	for op, err := range checks {
		if !errors.Is(err, bus.ErrClosed) {
			e.Errorf("%s after Close = %v, want bus.ErrClosed", op, err)
		}
	}
}

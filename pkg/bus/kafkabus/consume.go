package kafkabus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/filedge/filedge/pkg/bus"
)

const (
	// defaultAckWait applies when ConsumerConfig.AckWait is 0.
	defaultAckWait = 30 * time.Second
	// commitInterval is how often a member commits its completed prefixes.
	commitInterval = 200 * time.Millisecond
	// commitTimeout bounds one commit.
	commitTimeout = 10 * time.Second
	// maxHeld is how many records a partition may have waiting behind its
	// oldest record not yet done before it stops fetching.
	maxHeld = 4096
	// revokeWait bounds how long a member waits for the handlers still
	// running on a partition it loses, so that their work is committed
	// rather than repeated by the new owner.
	revokeWait = 5 * time.Second
	// maxPollRetry caps the wait between polls after failed ones.
	maxPollRetry = 5 * time.Second
)

// Consume delivers the messages of c.Topic and c.Pipeline (and c.Scope, or
// every scope if it is "") to h, c.Concurrency at a time, until ctx is
// cancelled; then it waits for the handlers still running, commits what
// they completed, leaves the group and returns ctx.Err().
//
// With a Group, the members of the Kafka consumer group
// <prefix>.<topic>.<pipeline>.<group>[.<scope>] share the topic's
// partitions; see the package doc for how outcomes become committed
// offsets. Without one, the caller reads every partition from c.Start for
// itself, and outcomes do nothing.
func (b *Bus) Consume(ctx context.Context, c bus.ConsumerConfig, h bus.Handler) error {
	if b.closed.Load() {
		return errClosed("consume")
	}
	if err := bus.CheckAddress(c.Topic, c.Pipeline, c.Scope, true); err != nil {
		return fmt.Errorf("kafkabus: consume: %w", err)
	}
	c.Concurrency = max(c.Concurrency, 1)
	if c.AckWait <= 0 {
		c.AckWait = defaultAckWait
	}
	log := b.log.With("topic", string(c.Topic), "pipeline", c.Pipeline, "group", c.Group)
	if c.Scope != "" {
		log = log.With("scope", c.Scope)
	}
	if c.Group == "" {
		return b.follow(ctx, c, h, log)
	}
	if err := bus.CheckToken("group", c.Group); err != nil {
		return fmt.Errorf("kafkabus: consume: %w", err)
	}
	g := &group{
		b: b, cfg: c, h: h, log: log,
		topic: b.topics[c.Topic].name,
		id:    groupID(b.opts.TopicPrefix, c),
		parts: map[int32]*part{},
		slots: make(chan struct{}, c.Concurrency),
	}
	g.changed = sync.NewCond(&g.mu)
	for range c.Concurrency {
		g.slots <- struct{}{}
	}
	return g.run(ctx)
}

// groupID is the Kafka consumer group of a bus group.
func groupID(prefix string, c bus.ConsumerConfig) string {
	id := prefix + "." + string(c.Topic) + "." + c.Pipeline + "." + c.Group
	if c.Scope != "" {
		id += "." + c.Scope
	}
	return id
}

// startOffset is where a new group or a follower starts.
func startOffset(s bus.Start) kgo.Offset {
	if s.IsLatest() {
		return kgo.NewOffset().AtEnd()
	}
	if t, ok := s.Time(); ok {
		return kgo.NewOffset().AfterMilli(t.UnixMilli())
	}
	return kgo.NewOffset().AtStart()
}

// ours reports whether a record belongs to the consumer's pipeline and
// scope.
func ours(r *kgo.Record, c bus.ConsumerConfig) bool {
	p, s := address(r)
	return p == c.Pipeline && (c.Scope == "" || s == c.Scope)
}

// group is one member of a consumer group: one call to Consume.
type group struct {
	b     *Bus
	cfg   bus.ConsumerConfig
	h     bus.Handler
	log   *slog.Logger
	topic string
	id    string
	cl    *kgo.Client
	slots chan struct{} // one token per idle handler
	wg    sync.WaitGroup

	mu       sync.Mutex
	changed  *sync.Cond         // broadcast when a handler finishes
	parts    map[int32]*part    // the partitions the member holds now
	due      []*entry           // retried records whose time has come
	wakePoll context.CancelFunc // ends the poll that waits for records, if one does
}

// part is a partition the member holds: its records from the first one
// not committed, in offset order.
type part struct {
	p       int32
	recs    []*entry
	commit  kgo.EpochOffset // where the group resumes: after the completed prefix
	dirty   bool            // commit moved since it was last committed
	paused  bool
	running int  // handlers running on the partition's records
	gone    bool // revoked or lost: outcomes are dropped
}

// entry is one record of a held partition.
type entry struct {
	rec     *kgo.Record
	p       *part
	attempt int
	done    bool
}

// run consumes until ctx ends or the bus is closed.
func (g *group) run(ctx context.Context) error {
	session := min(max(g.cfg.AckWait, g.b.minSession), g.b.maxSession)
	cl, err := g.b.newClient(
		kgo.ConsumerGroup(g.id),
		kgo.ConsumeTopics(g.topic),
		kgo.DisableAutoCommit(),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.SessionTimeout(session),
		kgo.HeartbeatInterval(min(max(session/10, 100*time.Millisecond), 3*time.Second)),
		// Members have this long to give partitions back in a rebalance
		// (revoked waits revokeWait for its handlers, then commits); a
		// member that died holds a rebalance up no longer.
		kgo.RebalanceTimeout(max(session, revokeWait+10*time.Second)),
		kgo.ConsumeStartOffset(startOffset(g.cfg.Start)),
		kgo.OnPartitionsAssigned(g.assigned),
		kgo.OnPartitionsRevoked(g.revoked),
		kgo.OnPartitionsLost(g.lost),
	)
	if err != nil {
		return fmt.Errorf("kafkabus: consume %s as %s: %w", g.topic, g.id, err)
	}
	g.cl = cl
	stopCommits := bus.Every(commitInterval, g.b.done, func() { g.commit(false) })
	err = g.poll(ctx)
	g.wg.Wait() // running handlers, and retries waiting for their time
	stopCommits()
	if !g.b.closed.Load() {
		g.commit(true)
	}
	g.b.closeClient(cl)
	return err
}

// poll fetches records and starts a handler for each of the consumer's,
// as many at once as there are idle handlers, until ctx ends or the bus is
// closed. Retried records whose time has come go first: a retry wakes a
// poll that waits for new records.
func (g *group) poll(ctx context.Context) error {
	failures := 0
	for {
		select {
		case <-g.slots:
		case <-ctx.Done():
			return ctx.Err()
		case <-g.b.done:
			return errClosed("consume " + g.topic)
		}
		free := 1
	take:
		for free < g.cfg.Concurrency {
			select {
			case <-g.slots:
				free++
			default:
				break take
			}
		}
		for _, e := range g.takeDue(free) {
			free--
			g.dispatch(ctx, e)
		}
		if free == 0 {
			continue
		}
		pctx, wake := context.WithCancel(ctx)
		g.mu.Lock()
		if len(g.due) > 0 {
			g.mu.Unlock()
			wake()
			g.release(free)
			continue
		}
		g.wakePoll = wake
		g.mu.Unlock()
		fetches := g.cl.PollRecords(pctx, free)
		g.mu.Lock()
		g.wakePoll = nil
		g.mu.Unlock()
		woken := pctx.Err() != nil
		wake()
		switch {
		case ctx.Err() != nil:
			g.release(free)
			return ctx.Err()
		case g.b.closed.Load() || fetches.IsClientClosed():
			g.release(free)
			return errClosed("consume " + g.topic)
		}
		records := fetches.Records()
		// An error of one partition comes with the records of others,
		// which must be handled: the next commit may pass them.
		if err := fetchError(fetches); err != nil && !woken {
			failures++
			wait := min(100*time.Millisecond<<min(failures, 6), maxPollRetry)
			g.log.Warn("fetching records failed; retrying", "err", err, "retry_in", wait)
			if len(records) == 0 {
				g.release(free)
				g.b.sleep(ctx, wait)
				continue
			}
		} else {
			failures = 0
		}
		for _, r := range records {
			e := g.track(r)
			if e == nil {
				continue
			}
			if !ours(r, g.cfg) {
				g.finish(ctx, e, bus.Done(), false)
				continue
			}
			if free == 0 {
				select {
				case <-g.slots:
					free++
				case <-ctx.Done():
					return ctx.Err()
				case <-g.b.done:
					return errClosed("consume " + g.topic)
				}
			}
			free--
			g.dispatch(ctx, e)
		}
		g.release(free)
	}
}

// takeDue returns up to n retried records whose time has come, of
// partitions the member still holds.
func (g *group) takeDue(n int) []*entry {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*entry
	for len(g.due) > 0 && len(out) < n {
		e := g.due[0]
		g.due = g.due[1:]
		if !e.p.gone {
			out = append(out, e)
		}
	}
	return out
}

// release gives n handler tokens back.
func (g *group) release(n int) {
	for range n {
		g.slots <- struct{}{}
	}
}

// track adds r to its partition's records, or returns nil when the
// member no longer holds the partition. A partition with too many records
// behind a held one stops fetching.
func (g *group) track(r *kgo.Record) *entry {
	g.mu.Lock()
	p := g.parts[r.Partition]
	if p == nil || p.gone {
		g.mu.Unlock()
		return nil
	}
	e := &entry{rec: r, p: p}
	p.recs = append(p.recs, e)
	pause := len(p.recs) > maxHeld && !p.paused
	if pause {
		p.paused = true
	}
	g.mu.Unlock()
	if pause {
		g.log.Warn("a partition holds many records behind one that is retried; fetching it stops until that one is done",
			"partition", r.Partition, "records", maxHeld)
		g.cl.PauseFetchPartitions(map[string][]int32{g.topic: {r.Partition}})
	}
	return e
}

// dispatch runs the handler on e, holding a handler token it gives back
// when the handler returns.
func (g *group) dispatch(ctx context.Context, e *entry) {
	g.mu.Lock()
	e.attempt++
	e.p.running++
	g.mu.Unlock()
	g.wg.Go(func() {
		d := &bus.Delivery{Message: message(g.cfg.Topic, e.rec), Attempt: e.attempt}
		out := bus.Call(ctx, g.h, d, g.log, g.cfg.AckWait)
		g.slots <- struct{}{}
		g.finish(ctx, e, out, true)
	})
}

// finish applies the outcome of e's handler (ran tells whether one ran):
// Done and GiveUp complete the record, Retry runs it again after its
// delay. The outcome of a record whose partition the member lost, or of a
// closed bus, is dropped.
func (g *group) finish(ctx context.Context, e *entry, out bus.Outcome, ran bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := e.p
	if ran {
		p.running--
		g.changed.Broadcast()
	}
	if p.gone || g.b.closed.Load() {
		return
	}
	switch out.Verdict {
	case bus.VerdictRetry:
		g.wg.Go(func() { g.retry(ctx, e, out.After) })
		return
	case bus.VerdictGiveUp:
		g.log.Debug("message given up", "partition", p.p, "offset", e.rec.Offset, "reason", out.Reason)
	}
	e.done = true
	var last *entry
	for len(p.recs) > 0 && p.recs[0].done {
		last, p.recs = p.recs[0], p.recs[1:]
	}
	if last != nil {
		p.commit = kgo.EpochOffset{Epoch: last.rec.LeaderEpoch, Offset: last.rec.Offset + 1}
		p.dirty = true
	}
	if p.paused && len(p.recs) < maxHeld/2 {
		p.paused = false
		go g.cl.ResumeFetchPartitions(map[string][]int32{g.topic: {p.p}})
	}
}

// retry queues e to run again once after has passed, and wakes the poll,
// unless ctx ended or the bus closed meanwhile.
func (g *group) retry(ctx context.Context, e *entry, after time.Duration) {
	if after > 0 && !g.b.sleep(ctx, after) {
		return
	}
	g.mu.Lock()
	if e.p.gone {
		g.mu.Unlock()
		return
	}
	g.due = append(g.due, e)
	wake := g.wakePoll
	g.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// assigned starts holding newly assigned partitions.
func (g *group) assigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range assigned[g.topic] {
		g.parts[p] = &part{p: p}
	}
}

// revoked lets partitions go: it waits (a little) for the handlers still
// running on them, commits their completed prefixes, and forgets them.
// A closed bus, like a process that died, commits nothing more.
func (g *group) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if g.b.closed.Load() {
		g.forget(revoked)
		return
	}
	deadline := time.Now().Add(revokeWait)
	timer := time.AfterFunc(revokeWait, func() {
		g.mu.Lock()
		g.changed.Broadcast()
		g.mu.Unlock()
	})
	defer timer.Stop()
	g.mu.Lock()
	for g.runningOn(revoked[g.topic]) && time.Now().Before(deadline) {
		g.changed.Wait()
	}
	offsets := g.offsetsLocked(revoked[g.topic])
	g.mu.Unlock()
	g.commitOffsets(ctx, cl, offsets)
	g.forget(revoked)
}

// lost forgets partitions the member lost without a revocation: their
// commits would fail.
func (g *group) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	g.forget(lost)
}

// forget stops holding partitions: the outcomes of their records are
// dropped from now on.
func (g *group) forget(parts map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range parts[g.topic] {
		if pt := g.parts[p]; pt != nil {
			pt.gone = true
			delete(g.parts, p)
		}
	}
	g.changed.Broadcast()
}

// runningOn reports whether a handler runs on a record of one of parts.
// g.mu must be held.
func (g *group) runningOn(parts []int32) bool {
	for _, p := range parts {
		if pt := g.parts[p]; pt != nil && pt.running > 0 {
			return true
		}
	}
	return false
}

// offsetsLocked returns the commits of parts (every held partition when
// parts is nil) that moved since they were last committed, and marks them
// committed. g.mu must be held.
func (g *group) offsetsLocked(parts []int32) map[string]map[int32]kgo.EpochOffset {
	out := map[int32]kgo.EpochOffset{}
	for p, pt := range g.parts {
		if parts != nil && !contains(parts, p) {
			continue
		}
		if pt.dirty {
			out[p] = pt.commit
			pt.dirty = false
		}
	}
	if len(out) == 0 {
		return nil
	}
	return map[string]map[int32]kgo.EpochOffset{g.topic: out}
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// commit commits the prefixes that moved; final says it is the last.
func (g *group) commit(final bool) {
	g.mu.Lock()
	offsets := g.offsetsLocked(nil)
	g.mu.Unlock()
	if offsets == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	g.commitOffsets(ctx, g.cl, offsets)
	if final {
		g.log.Debug("committed the completed records", "offsets", offsets)
	}
}

// commitOffsets commits offsets and logs a failure: the records after the
// last commit that worked are delivered again, which the ledgers absorb.
func (g *group) commitOffsets(ctx context.Context, cl *kgo.Client, offsets map[string]map[int32]kgo.EpochOffset) {
	if len(offsets) == 0 {
		return
	}
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err == nil {
			err = commitError(resp)
		}
		if err != nil && !g.b.closed.Load() {
			g.log.Warn("committing offsets failed; the records after the last commit will be delivered again", "err", err)
		}
	})
}

// commitError returns the first partition error of a commit response.
func commitError(resp *kmsg.OffsetCommitResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("partition %d: error code %d", p.Partition, p.ErrorCode)
			}
		}
	}
	return nil
}

// follow reads every partition of the topic from c.Start for the caller
// alone and hands the consumer's records to h, c.Concurrency at a time;
// outcomes do nothing.
func (b *Bus) follow(ctx context.Context, c bus.ConsumerConfig, h bus.Handler, log *slog.Logger) error {
	topic := b.topics[c.Topic].name
	cl, err := b.newClient(kgo.ConsumeTopics(topic), kgo.ConsumeStartOffset(startOffset(c.Start)))
	if err != nil {
		return fmt.Errorf("kafkabus: follow %s: %w", topic, err)
	}
	defer b.closeClient(cl)
	work := make(chan *kgo.Record)
	var wg sync.WaitGroup
	for range c.Concurrency {
		wg.Go(func() {
			for r := range work {
				bus.Call(ctx, h, &bus.Delivery{Message: message(c.Topic, r), Attempt: 1}, log, c.AckWait)
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	failures := 0
	for {
		fetches := cl.PollFetches(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case b.closed.Load() || fetches.IsClientClosed():
			return errClosed("follow " + topic)
		}
		records := fetches.Records()
		if err := fetchError(fetches); err != nil {
			failures++
			wait := min(100*time.Millisecond<<min(failures, 6), maxPollRetry)
			log.Warn("fetching records failed; retrying", "err", err, "retry_in", wait)
			if len(records) == 0 {
				b.sleep(ctx, wait)
				continue
			}
		} else {
			failures = 0
		}
		for _, r := range records {
			if !ours(r, c) {
				continue
			}
			select {
			case work <- r:
			case <-ctx.Done():
				return ctx.Err()
			case <-b.done:
				return errClosed("follow " + topic)
			}
		}
	}
}

package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/filedge/filedge/pkg/bus"
)

// topicSpec is a topic the bus needs, as it creates it.
type topicSpec struct {
	name       string
	partitions int
	configs    map[string]*string
}

// specs returns the topics Connect makes sure of: the message topics and
// the offset index.
func (b *Bus) specs() []topicSpec {
	keep := "-1"
	retention := strconv.FormatInt(b.opts.BatchRetention.Milliseconds(), 10)
	maxBytes := strconv.Itoa(b.opts.MaxMessageBytes)
	var out []topicSpec
	for _, t := range bus.Topics {
		r := &keep
		if t == bus.Batches {
			r = &retention
		}
		out = append(out, topicSpec{name: b.topics[t].name, partitions: b.opts.Partitions,
			configs: map[string]*string{"retention.ms": r, "max.message.bytes": &maxBytes}})
	}
	policy := "compact,delete"
	return append(out, topicSpec{name: b.index, partitions: 1,
		configs: map[string]*string{"cleanup.policy": &policy, "retention.ms": &retention}})
}

// ensureTopics creates the topics that are missing, checks that every
// message topic has at least Options.Partitions partitions, and learns the
// partitions and the message limit of each.
func (b *Bus) ensureTopics(ctx context.Context) error {
	specs := b.specs()
	found, err := b.ensure(ctx, specs)
	if err != nil {
		return err
	}
	var short []string
	for _, s := range specs {
		if n := found[s.name]; n < s.partitions {
			short = append(short, fmt.Sprintf("%s has %d, wants %d", s.name, n, s.partitions))
		}
	}
	if len(short) > 0 {
		return fmt.Errorf("%w: %w: %s: add partitions (kafka-topics.sh --alter --topic NAME --partitions N) or lower bus.partitions",
			ErrInvalidOptions, ErrPartitions, strings.Join(short, "; "))
	}
	for t, info := range b.topics {
		info.partitions = found[info.name]
		b.topics[t] = info
	}
	return b.readLimits(ctx)
}

// ensure creates the topics of specs that are missing and returns the
// partitions of every one of them.
func (b *Bus) ensure(ctx context.Context, specs []topicSpec) (map[string]int, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	where := strings.Join(b.opts.Brokers, ",")
	for attempt := 0; ; attempt++ {
		found, missing, err := b.partitions(ctx, specs)
		if err != nil {
			return nil, fmt.Errorf("kafkabus: list topics on %s: %w", where, classify(err))
		}
		if len(missing) == 0 {
			return found, nil
		}
		if attempt >= 20 {
			return nil, fmt.Errorf("kafkabus: topics %s are still missing after creating them", topicNames(missing))
		}
		for _, s := range missing {
			if err := b.create(ctx, s); err != nil {
				return nil, err
			}
		}
		if !b.sleep(ctx, 50*time.Millisecond) { // let the metadata catch up
			return nil, fmt.Errorf("kafkabus: create topics: %w", ctx.Err())
		}
	}
}

// partitions asks a broker (never a cache: kadm's ListTopics caches
// unknown topics for a few seconds) how many partitions each topic of
// specs has, and which are missing.
func (b *Bus) partitions(ctx context.Context, specs []topicSpec) (map[string]int, []topicSpec, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, s := range specs {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(s.name)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]int{}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		switch err := kerr.ErrorForCode(t.ErrorCode); {
		case err == nil && len(t.Partitions) > 0:
			found[*t.Topic] = len(t.Partitions)
		case err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) && !errors.Is(err, kerr.LeaderNotAvailable):
			return nil, nil, fmt.Errorf("topic %s: %w", *t.Topic, err)
		}
	}
	var missing []topicSpec
	for _, s := range specs {
		if _, ok := found[s.name]; !ok {
			missing = append(missing, s)
		}
	}
	return found, missing, nil
}

// create creates the topic of s; another process creating it first is no
// error.
func (b *Bus) create(ctx context.Context, s topicSpec) error {
	rf := int16(-1)
	if b.opts.ReplicationFactor > 0 {
		rf = int16(b.opts.ReplicationFactor)
	}
	resp, err := b.adm.CreateTopic(ctx, int32(s.partitions), rf, s.configs, s.name)
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil, errors.Is(err, kerr.TopicAlreadyExists):
		rfs := "the brokers' default"
		if rf > 0 {
			rfs = strconv.Itoa(int(rf))
		}
		if err == nil {
			b.log.Info("Kafka topic created", "topic", s.name, "partitions", s.partitions, "replication_factor", rfs)
		}
		return nil
	case errors.Is(err, kerr.InvalidReplicationFactor), errors.Is(err, kerr.InvalidPartitions),
		errors.Is(err, kerr.InvalidConfig), errors.Is(err, kerr.PolicyViolation),
		errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed):
		return fmt.Errorf("%w: create topic %s: %w (%s)", ErrInvalidOptions, s.name, err, resp.ErrMessage)
	}
	return fmt.Errorf("kafkabus: create topic %s: %w", s.name, err)
}

func topicNames(specs []topicSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// readLimits lowers the bus's MaxPayload to the smallest max.message.bytes
// of its message topics, when one is below Options.MaxMessageBytes.
func (b *Bus) readLimits(ctx context.Context) error {
	names := make([]string, 0, len(b.topics))
	for _, t := range b.topics {
		names = append(names, t.name)
	}
	cfgs, err := b.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		var shard *kadm.ShardErrors
		if errors.As(err, &shard) || len(cfgs) == 0 {
			b.log.Debug("cannot read the topics' max.message.bytes; keeping the configured limit", "err", err)
			return nil
		}
	}
	limit := b.opts.MaxMessageBytes
	for _, rc := range cfgs {
		for _, c := range rc.Configs {
			if c.Key != "max.message.bytes" || c.Value == nil {
				continue
			}
			if n, err := strconv.Atoi(*c.Value); err == nil && n > 0 && n < limit {
				b.log.Info("a topic takes smaller messages than bus.max_message_bytes; batches are cut to fit it",
					"topic", rc.Name, "max_message_bytes", n)
				limit = n
			}
		}
	}
	if limit < minMaxMessageBytes {
		return fmt.Errorf("%w: a topic's max.message.bytes is %d, below the %d filedge needs", ErrInvalidOptions, limit, minMaxMessageBytes)
	}
	b.maxPayload = limit - recordOverhead
	return nil
}

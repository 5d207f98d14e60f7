package kafkabus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/kafkabus"
)

// admin returns an admin client of the cluster c.
func admin(t *testing.T, c *kfake.Cluster) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// topicConfig returns the value of key in topic's configuration.
func topicConfig(t *testing.T, adm *kadm.Client, topic, key string) string {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Key == key && c.Value != nil {
				return *c.Value
			}
		}
	}
	return ""
}

func TestConnectCreatesTheTopicsWithTheirRetentionAndPartitions(t *testing.T) {
	c := cluster(t)
	connect(t, c, kafkabus.Options{TopicPrefix: "fx", Partitions: 3, BatchRetention: 5 * time.Hour})
	adm := admin(t, c)
	details, err := adm.ListTopics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int{"fx.files": 3, "fx.batches": 3, "fx.parsed": 3, "fx.committed": 3, "fx.index": 1} {
		if got := len(details[topic].Partitions); got != want {
			t.Errorf("%s has %d partitions, want %d", topic, got, want)
		}
	}
	for _, tc := range []struct{ topic, key, want string }{
		{"fx.batches", "retention.ms", fmt.Sprint((5 * time.Hour).Milliseconds())},
		{"fx.files", "retention.ms", "-1"},
		{"fx.committed", "retention.ms", "-1"},
		{"fx.index", "cleanup.policy", "compact,delete"},
		{"fx.index", "retention.ms", fmt.Sprint((5 * time.Hour).Milliseconds())},
		{"fx.files", "max.message.bytes", fmt.Sprint(kafkabus.DefaultMaxMessageBytes)},
	} {
		if got := topicConfig(t, adm, tc.topic, tc.key); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.topic, tc.key, got, tc.want)
		}
	}
	// A second process finds the topics and keeps them.
	connect(t, c, kafkabus.Options{TopicPrefix: "fx", Partitions: 3})
}

func TestConnectRefusesATopicWithTooFewPartitions(t *testing.T) {
	c := cluster(t)
	if _, err := admin(t, c).CreateTopic(t.Context(), 2, -1, nil, "filedge.files"); err != nil {
		t.Fatal(err)
	}
	_, err := kafkabus.Connect(t.Context(), kafkabus.Options{Brokers: c.ListenAddrs(), Partitions: 4, Logger: testLogger(t)})
	if !errors.Is(err, bus.ErrInvalidConfig) || !errors.Is(err, kafkabus.ErrPartitions) {
		t.Fatalf("Connect = %v, want bus.ErrInvalidConfig and ErrPartitions", err)
	}
	if !strings.Contains(err.Error(), "filedge.files has 2, wants 4") {
		t.Errorf("the error does not say which topic has how many: %v", err)
	}
}

func TestMaxPayloadFollowsATopicThatTakesLessAndTooLargeIsErrTooLarge(t *testing.T) {
	c := cluster(t)
	limit := "200000"
	if _, err := admin(t, c).CreateTopic(t.Context(), 4, -1, map[string]*string{"max.message.bytes": &limit}, "filedge.batches"); err != nil {
		t.Fatal(err)
	}
	b := connect(t, c, kafkabus.Options{})
	mp := b.Capabilities().MaxPayload
	if mp <= 190000 || mp >= 200000 {
		t.Fatalf("MaxPayload = %d, want a little under the batches topic's 200000", mp)
	}
	err := b.Publish(t.Context(), &bus.Message{Topic: bus.Batches, Pipeline: "p", Scope: "v", Data: make([]byte, mp+1)})
	if !errors.Is(err, bus.ErrTooLarge) {
		t.Errorf("Publish of %d bytes = %v, want bus.ErrTooLarge", mp+1, err)
	}
	if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Batches, Pipeline: "p", Scope: "v", Data: make([]byte, mp-100)}); err != nil {
		t.Errorf("Publish just under MaxPayload: %v", err)
	}
}

// TestReadReadsNoOtherVersionsData publishes a large version, then
// another version while a third one is published to the same partition:
// a cursor of the second reads none of the first's bytes (the index points
// past them) and only the third's that came between its own.
func TestReadReadsNoOtherVersionsData(t *testing.T) {
	c := cluster(t)
	b := connect(t, c, kafkabus.Options{Partitions: 1})
	ctx := t.Context()
	batch := func(version string, i, size int) *bus.Message {
		return bus.BatchMessage("p", version, "t", i, bytes.Repeat([]byte{byte(i)}, size))
	}
	for i := range 30 {
		if err := b.Publish(ctx, batch("old", i, 50_000)); err != nil {
			t.Fatal(err)
		}
	}
	var interleaved int64
	for i := range 3 {
		if err := b.Publish(ctx, batch("new", i, 1000)); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			m := batch("other", i, 7000)
			if err := b.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
			interleaved += int64(len(m.Key) + len(m.Data))
		}
	}
	cur, err := connect(t, c, kafkabus.Options{Partitions: 1}).Read(ctx, "p", "new")
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	for i := range 3 {
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		m, err := cur.Next(rctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if m.Header[bus.HeaderSeq] != fmt.Sprint(i) || m.Scope != "new" {
			t.Fatalf("message %d is %s seq %s", i, m.Scope, m.Header[bus.HeaderSeq])
		}
	}
	if got := kafkabus.Skipped(cur); got != interleaved {
		t.Errorf("the cursor read past %d bytes of other versions, want %d (the interleaved ones only, none of the 1.5 MB before)", got, interleaved)
	}
}

// TestReadOfAVersionPublishedAgainStartsAtTheLatestAttempt publishes a
// version whole, then again from another process (a parser that took it
// over): a reader that starts afterwards reads the second attempt from its
// start, not the first one.
func TestReadOfAVersionPublishedAgainStartsAtTheLatestAttempt(t *testing.T) {
	c := cluster(t)
	ctx := t.Context()
	attempt := func(b bus.Bus, tag string) {
		t.Helper()
		for i := range 2 {
			if err := b.Publish(ctx, bus.BatchMessage("p", "v", "t", i, []byte(tag))); err != nil {
				t.Fatal(err)
			}
		}
		trailer, err := bus.FileParsedTrailer(&bus.FileParsed{Pipeline: "p", Version: "v", Status: bus.StatusOK})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, trailer); err != nil {
			t.Fatal(err)
		}
	}
	first := connect(t, c, kafkabus.Options{})
	attempt(first, "first")
	attempt(connect(t, c, kafkabus.Options{}), "second")
	attempt(first, "third") // the first process again, after its trailer
	cur, err := connect(t, c, kafkabus.Options{}).Read(ctx, "p", "v")
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	m, err := cur.Next(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "third" || m.Header[bus.HeaderSeq] != "0" {
		t.Errorf("the first message read is %q seq %s, want the latest attempt's first batch", m.Data, m.Header[bus.HeaderSeq])
	}
}

func TestPartitionIsKafkasDefaultForTheOrderKey(t *testing.T) {
	c := cluster(t)
	b := connect(t, c, kafkabus.Options{Partitions: 7})
	m := &bus.Message{Topic: bus.Files, Pipeline: "p", Key: "dir/a.csv", ID: "v1", Data: []byte("x")}
	if err := b.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("filedge.files"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	fetches := cl.PollFetches(ctx)
	recs := fetches.Records()
	if len(recs) != 1 {
		t.Fatalf("fetched %d records (%v)", len(recs), fetches.Errors())
	}
	r := recs[0]
	if string(r.Key) != "dir/a.csv" || r.Partition != kafkabus.Partition("dir/a.csv", 7) {
		t.Errorf("record key %q on partition %d, want the path on %d", r.Key, r.Partition, kafkabus.Partition("dir/a.csv", 7))
	}
}

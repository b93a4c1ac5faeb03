// Command compat drives a Sluice broker with the Go clients an application would use: franz-go
// (kgo and kadm) and Sarama, from the Go module proxy. One process serves every step:
//
//	compat BOOTSTRAP
//
// reads step names from stdin, one a line, and answers each with one line: `ok <step>`, or
// `fail <step>: <reason>` (details go to stderr). test/compat/go.test.ts sends the steps. Every
// step uses its own topics and groups, so steps are independent of each other.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	bootstrap string
	// Names are unique per run, so the program can run again on the same broker.
	run = fmt.Sprintf("r%x-", time.Now().UnixNano()&0xffffff)
)

func main() {
	bootstrap = os.Args[1]
	steps := map[string]func(context.Context) error{
		"franz-produce-consume":  franzProduceConsume,
		"franz-group-classic":    func(ctx context.Context) error { return franzGroup(ctx, false) },
		"franz-group-consumer":   func(ctx context.Context) error { return franzGroup(ctx, true) },
		"franz-admin":            franzAdmin,
		"sarama-produce-consume": saramaProduceConsume,
		"sarama-group":           saramaGroup,
		"sarama-admin":           saramaAdmin,
	}
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	for in.Scan() {
		name := strings.TrimSpace(in.Text())
		if name == "" {
			continue
		}
		step, known := steps[name]
		var err error
		if !known {
			err = fmt.Errorf("unknown step")
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
			err = step(ctx)
			cancel()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %+v\n", name, err)
			fmt.Printf("fail %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("ok %s\n", name)
		}
	}
}

func franzClient(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap)}, opts...)...)
}

func createTopic(ctx context.Context, adm *kadm.Client, topic string, partitions int32) error {
	_, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
	return err
}

// Every codec kgo has, with the idempotent producer (kgo's default), read back in order.
func franzProduceConsume(ctx context.Context) error {
	cl, err := franzClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		topic := run + "franz-" + name
		if err := createTopic(ctx, adm, topic, 1); err != nil {
			return err
		}
		p, err := franzClient(kgo.ProducerBatchCompression(codec), kgo.DefaultProduceTopic(topic))
		if err != nil {
			return err
		}
		var recs []*kgo.Record
		for i := 0; i < 200; i++ {
			recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("%s-%d", name, i)),
				Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(name)}}})
		}
		err = p.ProduceSync(ctx, recs...).FirstErr()
		p.Close()
		if err != nil {
			return fmt.Errorf("%s: produce: %w", name, err)
		}
		got, err := franzReadAll(ctx, topic, 200)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i, r := range got {
			if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("%s-%d", name, i) || len(r.Headers) != 1 {
				return fmt.Errorf("%s: record %d is offset %d value %q headers %v", name, i, r.Offset, r.Value, r.Headers)
			}
		}
	}
	return nil
}

func franzReadAll(ctx context.Context, topic string, count int) ([]*kgo.Record, error) {
	c, err := franzClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []*kgo.Record
	for len(out) < count {
		fs := c.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %d of %d records: %w", len(out), count, err)
		}
		if errs := fs.Errors(); len(errs) > 0 {
			return nil, fmt.Errorf("fetch: %v", errs[0].Err)
		}
		out = append(out, fs.Records()...)
	}
	return out, nil
}

// Two group members share four partitions (cooperative-sticky over JoinGroup, or KIP-848's
// server-side assignment), mark what they read for autocommit, and leave; the group's committed
// offsets then add up to every record.
func franzGroup(ctx context.Context, kip848 bool) error {
	name := "classic"
	if kip848 {
		name = "consumer"
	}
	topic, group := run+"franz-group-"+name, run+"franz-group-"+name
	cl, err := franzClient(kgo.DefaultProduceTopic(topic))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if err := createTopic(ctx, adm, topic, 4); err != nil {
		return err
	}
	var recs []*kgo.Record
	for i := 0; i < 400; i++ {
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return err
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var members []*kgo.Client
	assigned := []int{0, 0}
	for m := 0; m < 2; m++ {
		onAssigned := func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
			mu.Lock()
			assigned[m] += len(parts[topic])
			mu.Unlock()
		}
		opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.OnPartitionsAssigned(onAssigned),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AutoCommitInterval(200 * time.Millisecond)}
		if kip848 {
			opts = append(opts, kgo.ServerSideBalancer())
		}
		c, err := franzClient(opts...)
		if err != nil {
			return err
		}
		members = append(members, c)
	}
	var wg sync.WaitGroup
	pollCtx, stop := context.WithCancel(ctx)
	for _, c := range members {
		wg.Add(1)
		go func(c *kgo.Client) {
			defer wg.Done()
			for pollCtx.Err() == nil {
				fs := c.PollFetches(pollCtx)
				mu.Lock()
				for _, r := range fs.Records() {
					seen[string(r.Value)] = true
				}
				mu.Unlock()
			}
		}(c)
	}
	// Both members hold partitions at some point while everything is read.
	for {
		mu.Lock()
		n, a0, a1 := len(seen), assigned[0], assigned[1]
		mu.Unlock()
		if n == 400 && a0 > 0 && a1 > 0 {
			break
		}
		if ctx.Err() != nil {
			stop()
			return fmt.Errorf("read %d of 400; partitions given %d and %d", n, a0, a1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for _, c := range members {
		if err := c.CommitUncommittedOffsets(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		c.Close() // leaves the group
	}
	offsets, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	var sum int64
	offsets.Each(func(o kadm.OffsetResponse) { sum += o.At })
	if sum != 400 {
		return fmt.Errorf("committed offsets add up to %d, not 400", sum)
	}
	wantType := map[bool]string{false: "classic", true: "consumer"}[kip848]
	typed, err := adm.ListGroupsByType(ctx, []string{wantType})
	if err != nil || !contains(typed.Groups(), group) {
		return fmt.Errorf("groups of type %s: %v %v", wantType, typed.Groups(), err)
	}
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	if d := described[group]; d.State != "Empty" {
		return fmt.Errorf("group state after both left: %q", d.State)
	}
	return nil
}

func franzAdmin(ctx context.Context) error {
	cl, err := franzClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic, group := run+"franz-admin", run+"franz-admin-group"
	if err := createTopic(ctx, adm, topic, 2); err != nil {
		return err
	}
	if _, err := adm.CreatePartitions(ctx, 1, topic); err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	listed, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return err
	}
	if n := len(listed[topic].Partitions); n != 3 {
		return fmt.Errorf("partitions after adding one: %d", n)
	}
	// Incremental (IncrementalAlterConfigs) and whole-state (the legacy AlterConfigs).
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: kadm.StringPtr("3600000")}}, topic); err != nil {
		return fmt.Errorf("incremental alter: %w", err)
	}
	if err := expectTopicConfig(ctx, adm, topic, "retention.ms", "3600000"); err != nil {
		return err
	}
	if _, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("delete")}, {Name: "segment.ms", Value: kadm.StringPtr("600000")}}, topic); err != nil {
		return fmt.Errorf("legacy alter: %w", err)
	}
	if err := expectTopicConfig(ctx, adm, topic, "segment.ms", "600000"); err != nil {
		return err
	}
	// The legacy request replaces every dynamic config: retention.ms is back to its default.
	if err := expectTopicConfig(ctx, adm, topic, "retention.ms", "604800000"); err != nil {
		return err
	}
	p, err := franzClient(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	for i := 0; i < 30; i++ {
		if err := p.ProduceSync(ctx, &kgo.Record{Partition: int32(i % 3), Value: []byte("x")}).FirstErr(); err != nil {
			p.Close()
			return err
		}
	}
	p.Close()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	if o, _ := ends.Lookup(topic, 0); o.Offset != 10 {
		return fmt.Errorf("end offset of partition 0: %d", o.Offset)
	}
	var del kadm.Offsets
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4})
	if _, err := adm.DeleteRecords(ctx, del); err != nil {
		return fmt.Errorf("delete records: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	if o, _ := starts.Lookup(topic, 0); o.Offset != 4 {
		return fmt.Errorf("start offset after deleting records: %d", o.Offset)
	}
	var commit kadm.Offsets
	commit.Add(kadm.Offset{Topic: topic, Partition: 1, At: 6, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, group, commit); err != nil {
		return fmt.Errorf("commit offsets: %w", err)
	}
	lags, err := adm.Lag(ctx, group)
	if err != nil {
		return fmt.Errorf("lag: %w", err)
	}
	if l, ok := lags[group].Lag.Lookup(topic, 1); !ok || l.Lag != 4 {
		return fmt.Errorf("lag of partition 1: %+v", l)
	}
	if groups, err := adm.ListGroups(ctx); err != nil || !contains(groups.Groups(), group) {
		return fmt.Errorf("list groups: %v %v", groups.Groups(), err)
	}
	if _, err := adm.DeleteOffsets(ctx, group, kadm.TopicsSet{topic: {1: {}}}); err != nil {
		return fmt.Errorf("delete offsets: %w", err)
	}
	if _, err := adm.DeleteGroups(ctx, group); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if _, err := adm.DeleteTopics(ctx, topic); err != nil {
		return fmt.Errorf("delete topic: %w", err)
	}
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil || len(meta.Brokers) != 1 || meta.Controller < 0 {
		return fmt.Errorf("broker metadata: %+v %v", meta.Brokers, err)
	}
	return nil
}

func expectTopicConfig(ctx context.Context, adm *kadm.Client, topic, key, want string) error {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return err
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return err
	}
	for _, c := range rc.Configs {
		if c.Key == key {
			if c.MaybeValue() != want {
				return fmt.Errorf("%s is %q, want %q", key, c.MaybeValue(), want)
			}
			return nil
		}
	}
	return fmt.Errorf("no config %s", key)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V3_6_0_0
	c.Producer.Return.Successes = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	return c
}

// The idempotent producer (which Sarama wants with one request in flight) and every codec,
// read back with a partition consumer.
func saramaProduceConsume(ctx context.Context) error {
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
		"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	if err != nil {
		return err
	}
	defer admin.Close()
	for name, codec := range codecs {
		topic := run + "sarama-" + name
		if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
			return err
		}
		cfg := saramaConfig()
		cfg.Producer.Compression = codec
		cfg.Producer.Idempotent = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Net.MaxOpenRequests = 1
		p, err := sarama.NewSyncProducer([]string{bootstrap}, cfg)
		if err != nil {
			return err
		}
		var msgs []*sarama.ProducerMessage
		for i := 0; i < 100; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)),
				Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", name, i))})
		}
		err = p.SendMessages(msgs)
		p.Close()
		if err != nil {
			return fmt.Errorf("%s: produce: %w", name, err)
		}
		c, err := sarama.NewConsumer([]string{bootstrap}, saramaConfig())
		if err != nil {
			return err
		}
		pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
		if err != nil {
			c.Close()
			return err
		}
		for i := 0; i < 100; i++ {
			select {
			case m := <-pc.Messages():
				if m.Offset != int64(i) || string(m.Value) != fmt.Sprintf("%s-%d", name, i) {
					pc.Close()
					c.Close()
					return fmt.Errorf("%s: record %d is offset %d value %q", name, i, m.Offset, m.Value)
				}
			case err := <-pc.Errors():
				pc.Close()
				c.Close()
				return err
			case <-ctx.Done():
				pc.Close()
				c.Close()
				return fmt.Errorf("%s: read %d of 100", name, i)
			}
		}
		pc.Close()
		c.Close()
	}
	return nil
}

type saramaHandler struct {
	mu       *sync.Mutex
	seen     map[string]bool
	assigned *int
}

func (h saramaHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	for _, parts := range s.Claims() {
		*h.assigned += len(parts)
	}
	h.mu.Unlock()
	return nil
}
func (h saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.seen[string(m.Value)] = true
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

// Two Sarama group members (JoinGroup/SyncGroup, range assignment) read everything and commit.
func saramaGroup(ctx context.Context) error {
	topic, group := run+"sarama-group", run+"sarama-group"
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 4, ReplicationFactor: 1}, false); err != nil {
		return err
	}
	p, err := sarama.NewSyncProducer([]string{bootstrap}, saramaConfig())
	if err != nil {
		return err
	}
	for i := 0; i < 200; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(fmt.Sprint(i))}); err != nil {
			p.Close()
			return err
		}
	}
	p.Close()
	var mu sync.Mutex
	seen := map[string]bool{}
	assigned := []int{0, 0}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for m := 0; m < 2; m++ {
		cfg := saramaConfig()
		cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
		g, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
		if err != nil {
			stop()
			return err
		}
		groups = append(groups, g)
		wg.Add(1)
		go func(m int) {
			defer wg.Done()
			for runCtx.Err() == nil {
				_ = g.Consume(runCtx, []string{topic}, saramaHandler{&mu, seen, &assigned[m]})
			}
		}(m)
	}
	for {
		mu.Lock()
		n, a0, a1 := len(seen), assigned[0], assigned[1]
		mu.Unlock()
		if n == 200 && a0 > 0 && a1 > 0 {
			break
		}
		if ctx.Err() != nil {
			stop()
			return fmt.Errorf("read %d of 200; partitions given %d and %d", n, a0, a1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for _, g := range groups {
		g.Close() // commits the marked offsets and leaves
	}
	offsets, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2, 3}})
	if err != nil {
		return err
	}
	var sum int64
	for _, b := range offsets.Blocks[topic] {
		sum += b.Offset
	}
	if sum != 200 {
		return fmt.Errorf("committed offsets add up to %d, not 200", sum)
	}
	return nil
}

func saramaAdmin(ctx context.Context) error {
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	if err != nil {
		return err
	}
	defer admin.Close()
	topic, group := run+"sarama-admin", run+"sarama-admin-group"
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		return err
	}
	if err := admin.CreatePartitions(topic, 3, nil, false); err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	metas, err := admin.DescribeTopics([]string{topic})
	if err != nil || len(metas) != 1 || len(metas[0].Partitions) != 3 {
		return fmt.Errorf("describe topics: %v", err)
	}
	topics, err := admin.ListTopics()
	if _, ok := topics[topic]; err != nil || !ok {
		return fmt.Errorf("list topics lacks %s: %v", topic, err)
	}
	// Sarama's AlterConfig is the legacy AlterConfigs request; IncrementalAlterConfig the new one.
	v := "7200000"
	if err := admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"retention.ms": &v}, false); err != nil {
		return fmt.Errorf("legacy alter config: %w", err)
	}
	s := "300000"
	if err := admin.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"segment.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &s}}, false); err != nil {
		return fmt.Errorf("incremental alter config: %w", err)
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	if err != nil {
		return err
	}
	got := map[string]string{}
	for _, e := range entries {
		got[e.Name] = e.Value
	}
	if got["retention.ms"] != "7200000" || got["segment.ms"] != "300000" {
		return fmt.Errorf("configs after alter: retention.ms=%s segment.ms=%s", got["retention.ms"], got["segment.ms"])
	}
	// Sarama's default partitioner ignores ProducerMessage.Partition: without the manual one the
	// ten records spread at random and partition 0 may hold fewer than the three deleted below.
	pc := saramaConfig()
	pc.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer([]string{bootstrap}, pc)
	if err != nil {
		return err
	}
	for i := 0; i < 10; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("x")}); err != nil {
			p.Close()
			return err
		}
	}
	p.Close()
	if err := admin.DeleteRecords(topic, map[int32]int64{0: 3}); err != nil {
		return fmt.Errorf("delete records: %w", err)
	}
	client, err := sarama.NewClient([]string{bootstrap}, saramaConfig())
	if err != nil {
		return err
	}
	oldest, err := client.GetOffset(topic, 0, sarama.OffsetOldest)
	if err != nil || oldest != 3 {
		client.Close()
		return fmt.Errorf("oldest offset after delete records: %d %v", oldest, err)
	}
	om, err := sarama.NewOffsetManagerFromClient(group, client)
	if err != nil {
		client.Close()
		return err
	}
	pom, err := om.ManagePartition(topic, 0)
	if err != nil {
		return err
	}
	pom.MarkOffset(5, "meta")
	om.Commit()
	pom.Close()
	om.Close()
	client.Close()
	offsets, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
	if err != nil || offsets.Blocks[topic][0].Offset != 5 {
		return fmt.Errorf("committed offset: %+v %v", offsets, err)
	}
	listed, err := admin.ListConsumerGroups()
	if _, ok := listed[group]; err != nil || !ok {
		return fmt.Errorf("list groups lacks %s: %v", group, err)
	}
	if err := admin.DeleteConsumerGroupOffset(group, topic, 0); err != nil {
		return fmt.Errorf("delete group offset: %w", err)
	}
	if err := admin.DeleteConsumerGroup(group); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	brokers, controller, err := admin.DescribeCluster()
	if err != nil || len(brokers) != 1 || controller < 0 {
		return fmt.Errorf("describe cluster: %d brokers, controller %d, %v", len(brokers), controller, err)
	}
	if err := admin.DeleteTopic(topic); err != nil {
		return fmt.Errorf("delete topic: %w", err)
	}
	return nil
}

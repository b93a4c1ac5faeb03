// Drives a Sluice broker with Apache Kafka's own Java clients (kafka-clients, kafka-streams) the
// way an application would. One JVM serves every step, so the slow JVM start is paid once:
//
//   java -cp <classpath> SluiceCompat BOOTSTRAP
//
// reads step names from stdin, one a line, and answers each with one line: `ok <step>`, or
// `fail <step>: <reason>` (the stack trace goes to stderr). test/compat/java.test.ts sends the
// steps. Every step uses its own topics and groups, so steps are independent of each other.

import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.io.*;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;

public class SluiceCompat {
  // Names are unique per run, so the suite can run again on the same broker.
  static final String RUN = "r" + Long.toHexString(System.nanoTime() & 0xffffff) + "-";
  static String bootstrap;
  static Admin admin;

  public static void main(String[] args) throws Exception {
    // The answers own stdout: log4j2's default console appender writes the clients' errors there.
    PrintStream answers = System.out;
    System.setOut(System.err);
    bootstrap = args[0];
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    Map<String, Step> steps = new LinkedHashMap<>();
    steps.put("idempotent-producer", SluiceCompat::idempotentProducer);
    for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd"))
      steps.put("codec-" + codec, () -> codec(codec));
    steps.put("compacted-codecs", SluiceCompat::compactedCodecs);
    steps.put("group-classic", () -> group("classic"));
    steps.put("group-consumer", () -> group("consumer"));
    steps.put("admin-topics", SluiceCompat::adminTopics);
    steps.put("admin-configs", SluiceCompat::adminConfigs);
    steps.put("admin-group-offsets", SluiceCompat::adminGroupOffsets);
    steps.put("admin-describe-cluster", SluiceCompat::describeCluster);
    steps.put("admin-delete-records", SluiceCompat::deleteRecords);
    steps.put("streams-word-count", SluiceCompat::wordCount);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    answers.println("ready");
    for (String name; (name = in.readLine()) != null; ) {
      name = name.trim();
      if (name.isEmpty()) continue;
      Step step = steps.get(name);
      try {
        if (step == null) throw new IllegalArgumentException("unknown step; known: " + steps.keySet());
        step.run();
        answers.println("ok " + name);
      } catch (Throwable t) {
        t.printStackTrace();
        answers.println("fail " + name + ": " + String.valueOf(t).replace('\n', ' '));
      }
      answers.flush();
    }
    admin.close(Duration.ofSeconds(5));
    // A step that failed half-way may leave a client thread behind; it must not keep the JVM up.
    System.exit(0);
  }

  interface Step {
    void run() throws Exception;
  }

  static void check(boolean ok, String what) {
    if (!ok) throw new AssertionError(what);
  }

  static void createTopic(String topic, int partitions) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
  }

  static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> conf = new HashMap<>();
    conf.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    conf.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    conf.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    conf.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    conf.putAll(extra);
    return new KafkaProducer<>(conf);
  }

  static Map<String, Object> consumerConf(String group, String protocol) {
    Map<String, Object> conf = new HashMap<>();
    conf.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    conf.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    conf.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    conf.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    conf.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    if (group != null) conf.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    if (protocol != null) conf.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    return conf;
  }

  /** Reads every partition of `topic` from the start until `count` records arrived. */
  static List<ConsumerRecord<String, String>> readAll(String topic, int count) {
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConf(null, null))) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(30)))
        parts.add(new TopicPartition(topic, p.partition()));
      c.assign(parts);
      c.seekToBeginning(parts);
      return poll(c, count);
    }
  }

  static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> c, int count) {
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (out.size() < count && System.currentTimeMillis() < deadline)
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) out.add(r);
    check(out.size() == count, "read " + out.size() + " of " + count + " records");
    return out;
  }

  static void send(KafkaProducer<String, String> p, String topic, int count) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (int i = 0; i < count; i++) acks.add(p.send(new ProducerRecord<>(topic, "k" + i, "value-" + i)));
    for (Future<RecordMetadata> a : acks) a.get(60, TimeUnit.SECONDS);
  }

  // The Java default since 3.0: InitProducerId, sequence numbers, acks=all, 5 in flight.
  static void idempotentProducer() throws Exception {
    String topic = RUN + "java-idempotent";
    createTopic(topic, 1);
    try (KafkaProducer<String, String> p = producer(Map.of(
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5))) {
      send(p, topic, 500);
    }
    List<ConsumerRecord<String, String>> got = readAll(topic, 500);
    for (int i = 0; i < got.size(); i++) {
      check(got.get(i).offset() == i, "offset " + got.get(i).offset() + " at " + i);
      check(got.get(i).value().equals("value-" + i), "value at " + i + ": " + got.get(i).value());
    }
  }

  static void codec(String codec) throws Exception {
    String topic = RUN + "java-codec-" + codec;
    createTopic(topic, 1);
    try (KafkaProducer<String, String> p = producer(Map.of(
        ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.BATCH_SIZE_CONFIG, 65536))) {
      send(p, topic, 300);
    }
    List<ConsumerRecord<String, String>> got = readAll(topic, 300);
    for (int i = 0; i < got.size(); i++)
      check(got.get(i).value().equals("value-" + i), codec + ": value at " + i + ": " + got.get(i).value());
  }

  // Log compaction of what the Java producer writes: a compacted topic with small segments takes
  // the same 20 keys five times over in each codec (snappy in xerial framing and lz4 frames as
  // this client writes them, which the broker must inflate to read keys), tombstones for five of
  // them, then enough unique filler keys to roll it all out of the active segment. The broker
  // cleans it; a consumer then reads each codec key once, with its latest value, and no tombstoned
  // key: cleaned batches, recompressed in their codec, read back by this client.
  static void compactedCodecs() throws Exception {
    String topic = RUN + "java-compacted";
    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
        "cleanup.policy", "compact", "segment.bytes", "16384",
        "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0"))))
        .all().get(30, TimeUnit.SECONDS);
    List<String> codecs = List.of("none", "gzip", "snappy", "lz4", "zstd");
    int rounds = 5;
    Map<String, String> want = new HashMap<>();
    for (String codec : codecs) {
      try (KafkaProducer<String, String> p = producer(Map.of(
          ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.BATCH_SIZE_CONFIG, 8000))) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int r = 0; r < rounds; r++)
          for (int i = 0; i < 20; i++) {
            String key = codec + "-k" + i, value = (codec + "-" + r + "-" + i).repeat(3);
            acks.add(p.send(new ProducerRecord<>(topic, key, value)));
            want.put(key, value);
          }
        for (int i = 0; i < 5 && codec.equals("zstd"); i++) {
          acks.add(p.send(new ProducerRecord<>(topic, "gzip-k" + i, null)));
          want.remove("gzip-k" + i);
        }
        for (Future<RecordMetadata> a : acks) a.get(60, TimeUnit.SECONDS);
      }
    }
    try (KafkaProducer<String, String> p = producer(Map.of())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < 600; i++) acks.add(p.send(new ProducerRecord<>(topic, "filler-" + i, "f".repeat(100))));
      for (Future<RecordMetadata> a : acks) a.get(60, TimeUnit.SECONDS);
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    Map<String, List<String>> got = Map.of();
    long deadline = System.currentTimeMillis() + 150_000;
    do {
      if (!got.isEmpty()) Thread.sleep(500);
      got = new HashMap<>();
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConf(null, null))) {
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        long end = c.endOffsets(List.of(tp)).get(tp);
        while (c.position(tp) < end)
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500)))
            if (!r.key().startsWith("filler-"))
              got.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
      }
    } while (!compactedTo(got, want) && System.currentTimeMillis() < deadline);
    check(compactedTo(got, want), "not compacted to the latest value of each key: " + got);
  }

  static boolean compactedTo(Map<String, List<String>> got, Map<String, String> want) {
    if (!got.keySet().equals(want.keySet())) return false;
    for (Map.Entry<String, String> e : want.entrySet())
      if (!got.get(e.getKey()).equals(List.of(e.getValue()))) return false;
    return true;
  }

  // Two members share four partitions, commit what they read, and the group's committed offsets
  // add up to every record; run with the classic protocol and with KIP-848's.
  static void group(String protocol) throws Exception {
    String topic = RUN + "java-group-" + protocol, group = RUN + "java-group-" + protocol;
    createTopic(topic, 4);
    try (KafkaProducer<String, String> p = producer(Map.of())) {
      send(p, topic, 400);
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
    CountDownLatch bothAssigned = new CountDownLatch(2), done = new CountDownLatch(2);
    List<Future<Integer>> members = new ArrayList<>();
    for (int m = 0; m < 2; m++)
      members.add(pool.submit(() -> {
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConf(group, protocol))) {
          c.subscribe(List.of(topic));
          boolean counted = false;
          long deadline = System.currentTimeMillis() + 90_000;
          while (System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(300))) seen.put(r.value(), true);
            try {
              c.commitSync();
            } catch (CommitFailedException | org.apache.kafka.common.errors.RebalanceInProgressException e) {
              // A commit that races a rebalance (a new generation, or with KIP-848 a member epoch
              // bumped by a heartbeat answer still on its way) is refused, as by Kafka; an
              // application commits again after its next poll.
              continue;
            }
            int mine = c.assignment().size();
            if (!counted && mine > 0 && mine < 4) {
              counted = true;
              bothAssigned.countDown();
            }
            if (seen.size() == 400 && bothAssigned.getCount() == 0) {
              // Neither member leaves before both counted their share: a leaving member's
              // partitions would move to the other.
              done.countDown();
              check(done.await(60, TimeUnit.SECONDS), "the other member did not finish");
              return mine;
            }
          }
          throw new AssertionError("member saw " + seen.size() + " records, assignment " + c.assignment());
        }
      }));
    int total = 0;
    try {
      for (Future<Integer> f : members) total += f.get(120, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    check(total == 4, "the members held " + total + " partitions, not 4");
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    long sum = committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
    check(sum == 400, "committed offsets add up to " + sum + ", not 400: " + committed);
    ConsumerGroupDescription d =
        admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    GroupType expected = protocol.equals("consumer") ? GroupType.CONSUMER : GroupType.CLASSIC;
    check(d.type() == expected, "group type " + d.type() + ", expected " + expected);
  }

  static void adminTopics() throws Exception {
    String topic = RUN + "java-admin-topics";
    createTopic(topic, 2);
    try {
      createTopic(topic, 2);
      throw new AssertionError("creating a topic twice succeeded");
    } catch (ExecutionException e) {
      check(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException, "second create: " + e.getCause());
    }
    check(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic), "listTopics lacks " + topic);
    admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all().get(30, TimeUnit.SECONDS);
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    check(d.partitions().size() == 5, "partitions after increase: " + d.partitions().size());
    check(d.topicId() != null && !d.topicId().equals(Uuid.ZERO_UUID), "topic id " + d.topicId());
    admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    long deadline = System.currentTimeMillis() + 30_000;
    while (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
      check(System.currentTimeMillis() < deadline, topic + " still listed after delete");
      Thread.sleep(100);
    }
  }

  // Describe, then change with IncrementalAlterConfigs (SET and DELETE). Kafka 4's Admin has no
  // legacy alterConfigs any more (removed in 4.0); the Go suite sends legacy AlterConfigs.
  static void adminConfigs() throws Exception {
    String topic = RUN + "java-admin-configs";
    createTopic(topic, 1);
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    admin.incrementalAlterConfigs(Map.of(res, List.of(
        new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
        new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET))))
        .all().get(30, TimeUnit.SECONDS);
    Config c = admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
    check("3600000".equals(c.get("retention.ms").value()), "retention.ms " + c.get("retention.ms"));
    check(c.get("retention.ms").source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "source " + c.get("retention.ms").source());
    admin.incrementalAlterConfigs(Map.of(res, List.of(
        new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE))))
        .all().get(30, TimeUnit.SECONDS);
    c = admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
    check(c.get("retention.ms").source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "retention.ms still set after DELETE");
    check("2000000".equals(c.get("max.message.bytes").value()), "max.message.bytes " + c.get("max.message.bytes"));
    String id = String.valueOf(admin.describeCluster().controller().get(30, TimeUnit.SECONDS).id());
    Config b = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, id))).all()
        .get(30, TimeUnit.SECONDS).values().iterator().next();
    check(b.get("log.segment.bytes") != null, "broker config lacks log.segment.bytes");
  }

  static void adminGroupOffsets() throws Exception {
    String topic = RUN + "java-group-offsets", group = RUN + "java-group-offsets";
    createTopic(topic, 2);
    try (KafkaProducer<String, String> p = producer(Map.of())) {
      send(p, topic, 100);
    }
    TopicPartition p0 = new TopicPartition(topic, 0), p1 = new TopicPartition(topic, 1);
    admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(3, "meta"), p1, new OffsetAndMetadata(7)))
        .all().get(30, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetAndMetadata> got =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    check(got.get(p0).offset() == 3 && "meta".equals(got.get(p0).metadata()), "p0 " + got.get(p0));
    check(got.get(p1).offset() == 7, "p1 " + got.get(p1));
    check(admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().anyMatch(g -> g.groupId().equals(group)),
        "listGroups lacks " + group);
    admin.deleteConsumerGroupOffsets(group, Set.of(p0)).all().get(30, TimeUnit.SECONDS);
    got = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    check(!got.containsKey(p0) || got.get(p0) == null, "p0 still committed: " + got);
    check(got.get(p1).offset() == 7, "p1 after deleting p0: " + got.get(p1));
    // A consumer of the group starts where the group left off.
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConf(group, "consumer"))) {
      c.assign(List.of(p1));
      check(c.position(p1, Duration.ofSeconds(30)) == 7, "position of p1 " + c.position(p1));
    }
    admin.deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
    got = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    check(got.isEmpty(), "offsets after deleting the group: " + got);
  }

  static void describeCluster() throws Exception {
    DescribeClusterResult r = admin.describeCluster();
    Collection<Node> nodes = r.nodes().get(30, TimeUnit.SECONDS);
    check(nodes.size() == 1, "nodes " + nodes);
    check(r.clusterId().get(30, TimeUnit.SECONDS) != null, "no cluster id");
    Node controller = r.controller().get(30, TimeUnit.SECONDS);
    check(controller != null && controller.id() == nodes.iterator().next().id(), "controller " + controller);
  }

  static void deleteRecords() throws Exception {
    String topic = RUN + "java-delete-records";
    createTopic(topic, 1);
    try (KafkaProducer<String, String> p = producer(Map.of())) {
      send(p, topic, 100);
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    DeletedRecords d = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(40))).lowWatermarks()
        .get(tp).get(30, TimeUnit.SECONDS);
    check(d.lowWatermark() == 40, "low watermark " + d.lowWatermark());
    long earliest = admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get(30, TimeUnit.SECONDS).get(tp).offset();
    check(earliest == 40, "earliest offset after deleteRecords: " + earliest);
    List<ConsumerRecord<String, String>> got = readAll(topic, 60);
    check(got.get(0).offset() == 40, "first record read " + got.get(0).offset());
  }

  // The word count of Kafka Streams' quickstart: a repartition topic (groupBy) and a changelog
  // topic (the count's store), both created by Streams through the AdminClient.
  static void wordCount() throws Exception {
    String in = RUN + "java-streams-in", out = RUN + "java-streams-out", app = RUN + "java-wordcount";
    createTopic(in, 2);
    createTopic(out, 1);
    StreamsBuilder builder = new StreamsBuilder();
    builder.<String, String>stream(in)
        .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+")))
        .groupBy((k, word) -> word)
        .count()
        .toStream()
        .mapValues(String::valueOf)
        .to(out);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.String().getClass());
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.String().getClass());
    String stateDir = System.getProperty("java.io.tmpdir") + "/sluice-streams-" + UUID.randomUUID();
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    try (KafkaProducer<String, String> p = producer(Map.of())) {
      for (String line : List.of("the quick brown fox", "jumps over the lazy dog", "The End"))
        p.send(new ProducerRecord<>(in, null, line)).get(30, TimeUnit.SECONDS);
    }
    Map<String, String> counts = new HashMap<>();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), props);
        KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConf(null, null))) {
      streams.start();
      TopicPartition tp = new TopicPartition(out, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 120_000;
      while (!("3".equals(counts.get("the")) && "1".equals(counts.get("dog")) && "1".equals(counts.get("end")))) {
        check(System.currentTimeMillis() < deadline, "counts after 120 s: " + counts + ", streams " + streams.state());
        check(streams.state() != KafkaStreams.State.ERROR, "streams went to ERROR");
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) counts.put(r.key(), r.value());
      }
      Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      check(topics.stream().anyMatch(t -> t.startsWith(app) && t.endsWith("-repartition")), "no repartition topic in " + topics);
      check(topics.stream().anyMatch(t -> t.startsWith(app) && t.endsWith("-changelog")), "no changelog topic in " + topics);
      streams.close(Duration.ofSeconds(30));
      streams.cleanUp();
    } finally {
      // The state dir (RocksDB store, lock file) is this run's own: leave nothing in the tmpdir.
      try (var paths = java.nio.file.Files.walk(java.nio.file.Path.of(stateDir))) {
        paths.sorted(Comparator.reverseOrder()).map(java.nio.file.Path::toFile).forEach(File::delete);
      }
    }
  }
}

/*
 * kafka-drill's Kafka Streams runner: one JVM runs one real Streams application (kafka-streams of
 * the Kafka version under test) under a restored application id: input topic → groupByKey →
 * count, in a store named like the restored changelog's store, so Streams restores that store
 * from the restored changelog. It records what it restored per changelog partition, the first
 * offset it processed per input partition, and the broker's error name if it could not run.
 * Before starting, it reads (as the drill's admin) the group's committed offsets and the
 * changelog's records, and produces one marker record per input partition so that a partition
 * whose committed offset is its log end still shows where the application resumes.
 * Job file (argument 1, 0600, credentials inside) and result file (argument 2) as ProbeRunner's;
 * client properties come from ProbeRunner.common.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

public class StreamsRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] MARKER_KEY = "kafka-drill-streams-probe".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    JsonNode job = JSON.readTree(new File(args[0]));
    ProbeRunner.job = job;
    ObjectNode out = JSON.createObjectNode();
    out.put("clientVersion", AppInfoParser.getVersion());
    try {
      run(job, out);
    } catch (Throwable error) {
      fail(out, error);
    }
    JSON.writeValue(new File(args[1]), out);
    System.exit(0); // Streams' own threads must not keep the JVM alive past the result.
  }

  private static void run(JsonNode job, ObjectNode out) throws Exception {
    String app = job.get("applicationId").asText();
    String input = job.get("inputTopic").asText();
    String changelog = job.get("changelogTopic").asText();
    String store = job.get("storeName").asText();
    String admin = job.get("adminUser").asText();
    long deadline = System.currentTimeMillis() + job.get("runMs").asLong();

    List<TopicPartition> inputPartitions = new ArrayList<>();
    try (Admin client = Admin.create(ProbeRunner.common(admin))) {
      client.describeTopics(List.of(input)).allTopicNames().get().get(input).partitions().forEach(p -> inputPartitions.add(new TopicPartition(input, p.partition())));
      Map<TopicPartition, OffsetAndMetadata> committed = client.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
      ObjectNode committedOut = out.putObject("committed");
      for (TopicPartition tp : inputPartitions) {
        OffsetAndMetadata offset = committed.get(tp);
        if (offset != null) committedOut.put(String.valueOf(tp.partition()), offset.offset());
      }
      ObjectNode logStart = out.putObject("inputLogStart");
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      inputPartitions.forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
      client.listOffsets(earliest).all().get().forEach((tp, info) -> logStart.put(String.valueOf(tp.partition()), info.offset()));
      boolean changelogExists = client.listTopics().names().get().contains(changelog);
      out.put("changelogExisted", changelogExists);
      if (changelogExists) countChangelog(client, changelog, admin, out.putObject("changelogRecords"), out);
    }

    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ProbeRunner.common(admin), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (TopicPartition tp : inputPartitions) producer.send(new ProducerRecord<>(input, tp.partition(), MARKER_KEY, new byte[0])).get();
    }

    Map<Integer, Long> firstOffsets = new ConcurrentHashMap<>();
    Map<Integer, Long> restored = new ConcurrentHashMap<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(() -> new FixedKeyProcessor<byte[], byte[], byte[]>() {
          private FixedKeyProcessorContext<byte[], byte[]> context;

          @Override
          public void init(FixedKeyProcessorContext<byte[], byte[]> context) {
            this.context = context;
          }

          @Override
          public void process(FixedKeyRecord<byte[], byte[]> record) {
            context.recordMetadata().ifPresent(meta -> firstOffsets.putIfAbsent(meta.partition(), meta.offset()));
            context.forward(record);
          }
        })
        .groupByKey(Grouped.with(Serdes.ByteArray(), Serdes.ByteArray()))
        // In memory: the entry count is exact, and the store is rebuilt from the changelog alone.
        .count(Materialized.<byte[], Long>as(Stores.inMemoryKeyValueStore(store)).withKeySerde(Serdes.ByteArray()));

    Properties props = ProbeRunner.common(job.get("user").asText());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
    props.put(StreamsConfig.CLIENT_ID_CONFIG, "kafka-drill-streams-probe");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory(new File(job.get("stateDir").asText()).toPath(), "state").toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, job.get("exactlyOnce").asBoolean() ? "exactly_once_v2" : "at_least_once");
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "-1");
    props.put("auto.offset.reset", "earliest");
    // A probe's application lives for one run: it leaves the group on close (Streams stays by
    // default, so the next run would wait out the member's session), and a member that could not
    // leave (a JVM that died) is gone after 10 s, not 45. The broker's floor is
    // group.min.session.timeout.ms (6 s by default).
    props.put(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), "true");
    props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), "10000");
    props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), "2000");

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      public void onRestoreStart(TopicPartition tp, String name, long start, long end) {
        restored.putIfAbsent(tp.partition(), 0L);
      }

      public void onBatchRestored(TopicPartition tp, String name, long batchEnd, long records) {}

      public void onRestoreEnd(TopicPartition tp, String name, long total) {
        restored.put(tp.partition(), total);
      }
    });
    streams.setUncaughtExceptionHandler(error -> {
      failure.compareAndSet(null, error);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    boolean[] running = {false};
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) running[0] = true;
    });
    long started = System.nanoTime();
    streams.start();
    try {
      while (System.currentTimeMillis() < deadline && failure.get() == null && firstOffsets.size() < inputPartitions.size()) Thread.sleep(100);
      out.put("running", running[0]);
      out.put("processedAllPartitions", firstOffsets.size() == inputPartitions.size());
      if (failure.get() == null && streams.state() == KafkaStreams.State.RUNNING) {
        ReadOnlyKeyValueStore<byte[], Long> view = streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<byte[], Long>keyValueStore()));
        out.put("storeEntries", view.approximateNumEntries());
        Long markerCount = view.get(MARKER_KEY);
        out.put("markerCount", markerCount == null ? 0 : markerCount);
      }
    } finally {
      // leaveGroup: newer Streams (4.3.1 checked) closes its consumer "remaining in the group" unless asked, whatever the config; 3.9.2 honours the config above.
      streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(20)).leaveGroup(true));
      out.put("streamsMs", (System.nanoTime() - started) / 1_000_000);
    }
    ObjectNode first = out.putObject("firstOffsets");
    firstOffsets.forEach((partition, offset) -> first.put(String.valueOf(partition), offset));
    ObjectNode restoredOut = out.putObject("restored");
    restored.forEach((partition, total) -> restoredOut.put(String.valueOf(partition), total));
    if (failure.get() != null) fail(out, failure.get());
    else out.put("ok", true);
  }

  /** Records per changelog partition and distinct (partition, key) pairs, read from the log start to the log end as the admin. */
  private static void countChangelog(Admin client, String changelog, String admin, ObjectNode perPartition, ObjectNode out) throws Exception {
    List<TopicPartition> partitions = new ArrayList<>();
    client.describeTopics(List.of(changelog)).allTopicNames().get().get(changelog).partitions().forEach(p -> partitions.add(new TopicPartition(changelog, p.partition())));
    Properties props = ProbeRunner.common(admin);
    props.put("isolation.level", "read_committed");
    // A key lives in the store instance of its partition: the same key on two partitions is two entries.
    Set<String> keys = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      Map<Integer, Long> counts = new HashMap<>();
      partitions.forEach(tp -> counts.put(tp.partition(), 0L));
      long until = System.currentTimeMillis() + 30_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.currentTimeMillis() < until) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          counts.merge(record.partition(), 1L, Long::sum);
          if (record.key() != null) keys.add(record.partition() + ":" + java.util.Base64.getEncoder().encodeToString(record.key()));
        }
      }
      counts.forEach((partition, count) -> perPartition.put(String.valueOf(partition), count));
    }
    out.put("changelogKeys", keys.size());
  }

  private static void fail(ObjectNode out, Throwable error) {
    out.put("ok", false);
    // Streams wraps the broker's refusal (e.g. TopicAuthorizationException) in StreamsExceptions: the innermost with a name is the reason.
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      Errors kafkaError = Errors.forException(cause);
      if (kafkaError != Errors.UNKNOWN_SERVER_ERROR) {
        out.put("kafkaError", kafkaError.name());
        break;
      }
    }
    out.put("message", error.getClass().getSimpleName() + ": " + error.getMessage());
  }
}

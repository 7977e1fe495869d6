/*
 * kafka-drill's Java probe runner: one JVM runs a whole batch of client checks with Kafka's own
 * Java client (kafka-clients of the classpath it runs on). It reads its work from a JSON file
 * (argument 1; credentials inside it, so the file is 0600 and never on a command line) and writes
 * one JSON result per task to the file named by argument 2. Errors are Kafka's error names
 * (Errors.forException), never messages to parse. Compiled once per Kafka version by
 * src/kafka/java-client.ts.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.AppInfoParser;

public class ProbeRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  static JsonNode job;

  public static void main(String[] args) throws Exception {
    job = JSON.readTree(new File(args[0]));
    ObjectNode out = JSON.createObjectNode();
    out.put("clientVersion", AppInfoParser.getVersion());
    ArrayNode results = out.putArray("results");
    // Tasks are independent (each has its own clients): a few at once, results in task order.
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(TASKS_AT_ONCE);
    List<java.util.concurrent.Future<ObjectNode>> pending = new ArrayList<>();
    for (JsonNode task : job.get("tasks")) pending.add(pool.submit(() -> runTask(task)));
    for (java.util.concurrent.Future<ObjectNode> result : pending) results.add(result.get());
    pool.shutdown();
    JSON.writeValue(new File(args[1]), out);
  }

  private static final int TASKS_AT_ONCE = 4;

  private static ObjectNode runTask(JsonNode task) {
    long started = System.nanoTime();
    ObjectNode result;
    try {
      switch (task.get("kind").asText()) {
        case "produce-consume": result = produceConsume(task); break;
        case "access": result = access(task); break;
        case "first-records": result = firstRecords(task); break;
        case "transaction": result = transaction(task); break;
        default: throw new IllegalArgumentException("unknown task kind " + task.get("kind"));
      }
    } catch (Throwable error) {
      result = failure(error);
    }
    result.put("durationMs", (System.nanoTime() - started) / 1_000_000);
    return result;
  }

  static Properties common(String user) {
    Properties p = new Properties();
    p.put("bootstrap.servers", job.get("bootstrap").asText());
    p.put("client.id", "kafka-drill-java-probe");
    int timeout = job.get("requestTimeoutMs").asInt();
    p.put("request.timeout.ms", String.valueOf(timeout));
    p.put("default.api.timeout.ms", String.valueOf(timeout));
    JsonNode credentials = job.path("users").path(user);
    boolean sasl = credentials.has("password");
    boolean tls = job.path("tls").asBoolean(false);
    p.put("security.protocol", (sasl ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT"));
    if (sasl) {
      p.put("sasl.mechanism", credentials.get("mechanism").asText());
      p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
          + user.replace("\\", "\\\\").replace("\"", "\\\"") + "\" password=\""
          + credentials.get("password").asText().replace("\\", "\\\\").replace("\"", "\\\"") + "\";");
    }
    if (job.hasNonNull("ca")) {
      // PEM given inline (Kafka >= 2.7): no store files, no store passwords. Without one: the JVM's own trust.
      p.put("ssl.truststore.type", "PEM");
      p.put("ssl.truststore.certificates", job.get("ca").asText());
    }
    if (credentials.has("certificateChain")) {
      p.put("ssl.keystore.type", "PEM");
      p.put("ssl.keystore.certificate.chain", credentials.get("certificateChain").asText());
      p.put("ssl.keystore.key", credentials.get("privateKey").asText());
    }
    return p;
  }

  private static KafkaProducer<byte[], byte[]> producer(String user, boolean idempotent) {
    Properties p = common(user);
    // A WRITE check asks about the topic's ACL alone: an idempotent producer first needs
    // InitProducerId, which Kafka refuses with CLUSTER_AUTHORIZATION_FAILED to a principal that may write to no topic.
    p.put("enable.idempotence", String.valueOf(idempotent));
    int timeout = job.get("requestTimeoutMs").asInt();
    p.put("acks", "all");
    p.put("max.block.ms", String.valueOf(timeout));
    p.put("delivery.timeout.ms", String.valueOf(timeout + 1000));
    p.put("linger.ms", "0");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String user, String group, String reset) {
    Properties p = common(user);
    if (group != null) p.put("group.id", group);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", reset);
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Produces N records spread over the partitions, then reads them back from where they landed (assign + seek, no group). */
  private static ObjectNode produceConsume(JsonNode task) throws Exception {
    String user = task.get("user").asText();
    String topic = task.get("topic").asText();
    String marker = task.get("marker").asText();
    int records = task.get("records").asInt();
    ObjectNode result = JSON.createObjectNode();
    Map<Integer, Long> firstOffset = new HashMap<>();
    long started = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer(user, true)) {
      int partitions = producer.partitionsFor(topic).size();
      List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        byte[] text = (marker + ":" + i).getBytes(StandardCharsets.UTF_8);
        sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, text, text)));
      }
      for (java.util.concurrent.Future<RecordMetadata> future : sent) {
        RecordMetadata meta = future.get();
        firstOffset.merge(meta.partition(), meta.offset(), Math::min);
      }
    }
    result.put("producedMs", (System.nanoTime() - started) / 1_000_000);
    int received = 0;
    int wrong = 0;
    Set<String> seen = new HashSet<>();
    long deadline = System.currentTimeMillis() + job.get("consumeTimeoutMs").asLong();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(user, null, "earliest")) {
      List<TopicPartition> assigned = new ArrayList<>();
      for (int partition : firstOffset.keySet()) assigned.add(new TopicPartition(topic, partition));
      consumer.assign(assigned);
      for (TopicPartition tp : assigned) consumer.seek(tp, firstOffset.get(tp.partition()));
      while (seen.size() < records && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
          if (!key.startsWith(marker + ":") || !seen.add(key)) continue;
          String value = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
          if (!key.equals(value)) wrong++;
        }
      }
    }
    received = seen.size();
    result.put("ok", true);
    result.put("received", received);
    result.put("wrong", wrong);
    result.put("partitions", firstOffset.size());
    return result;
  }

  /** One operation on one resource as one principal; the answer is Kafka's error name or none. */
  private static ObjectNode access(JsonNode task) throws Exception {
    String user = task.get("user").asText();
    String operation = task.get("operation").asText();
    String type = task.get("resourceType").asText();
    String name = task.get("name").asText();
    ObjectNode result = JSON.createObjectNode();
    switch (type + " " + operation) {
      case "topic DESCRIBE":
        try (Admin admin = Admin.create(common(user))) {
          admin.describeTopics(List.of(name)).allTopicNames().get();
        }
        break;
      case "topic WRITE":
        try (KafkaProducer<byte[], byte[]> producer = producer(user, false)) {
          byte[] text = (task.get("marker").asText() + ":access").getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(name, 0, text, text)).get();
        }
        break;
      case "topic READ":
        // Allowed only once a Fetch was answered (a denied one throws from poll): an empty poll proves nothing.
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(user, null, "latest")) {
          consumer.assign(List.of(new TopicPartition(name, 0)));
          long deadline = System.currentTimeMillis() + job.get("requestTimeoutMs").asLong();
          while (fetchesAnswered(consumer) == 0) {
            if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no Fetch was answered within the request timeout");
            consumer.poll(Duration.ofMillis(200));
          }
        }
        break;
      case "group DESCRIBE":
        try (Admin admin = Admin.create(common(user))) {
          admin.describeConsumerGroups(List.of(name)).all().get();
        }
        break;
      case "cluster DESCRIBE":
        try (Admin admin = Admin.create(common(user))) {
          admin.describeAcls(AclBindingFilter.ANY).values().get();
        }
        break;
      default:
        throw new IllegalArgumentException("the Java runner cannot exercise " + operation + " on a " + type);
    }
    result.put("ok", true);
    return result;
  }

  private static double fetchesAnswered(KafkaConsumer<byte[], byte[]> consumer) {
    for (Map.Entry<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> metric : consumer.metrics().entrySet())
      if (metric.getKey().group().equals("consumer-fetch-manager-metrics") && metric.getKey().name().equals("fetch-total") && metric.getKey().tags().size() == 1)
        return ((Number) metric.getValue().metricValue()).doubleValue();
    return 0;
  }

  /** Joins a restored group (auto-commit off, never commits) and returns the first record fetched on each wanted partition. */
  private static ObjectNode firstRecords(JsonNode task) throws Exception {
    String user = task.get("user").asText();
    List<String> topics = new ArrayList<>();
    task.get("topics").forEach(topic -> topics.add(topic.asText()));
    Set<String> wanted = new HashSet<>();
    task.get("partitions").forEach(key -> wanted.add(key.asText()));
    String header = job.get("sourceOffsetHeader").asText();
    ObjectNode result = JSON.createObjectNode();
    ArrayNode found = result.putArray("records");
    Set<String> have = new HashSet<>();
    long deadline = System.currentTimeMillis() + job.get("consumeTimeoutMs").asLong();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(user, task.get("group").asText(), "earliest")) {
      consumer.subscribe(topics);
      while (have.size() < wanted.size() && System.currentTimeMillis() < deadline) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          String key = record.topic() + ":" + record.partition();
          if (!wanted.contains(key) || !have.add(key)) continue;
          ObjectNode item = found.addObject();
          item.put("topic", record.topic());
          item.put("partition", record.partition());
          item.put("offset", record.offset());
          item.put("timestamp", record.timestamp());
          if (record.key() != null) item.put("key", Base64.getEncoder().encodeToString(record.key()));
          if (record.value() != null) item.put("value", Base64.getEncoder().encodeToString(record.value()));
          Header source = record.headers().lastHeader(header);
          if (source != null) item.put("sourceOffset", new String(source.value(), StandardCharsets.UTF_8));
          consumer.pause(List.of(new TopicPartition(record.topic(), record.partition())));
        }
      }
    }
    result.put("ok", true);
    return result;
  }

  /**
   * A transactional producer as one user: initTransactions, then (with a topic) one record
   * committed and one aborted. The result names the steps done and the one that failed.
   */
  private static final java.util.concurrent.ConcurrentHashMap<String, Object> TRANSACTIONAL_IDS = new java.util.concurrent.ConcurrentHashMap<>();

  private static ObjectNode transaction(JsonNode task) {
    // Two producers of one transactional id fence each other: tasks sharing an id run one after the other.
    synchronized (TRANSACTIONAL_IDS.computeIfAbsent(task.get("transactionalId").asText(), id -> new Object())) {
      return transactionAlone(task);
    }
  }

  private static ObjectNode transactionAlone(JsonNode task) {
    Properties p = common(task.get("user").asText());
    int timeout = job.get("requestTimeoutMs").asInt();
    p.put("transactional.id", task.get("transactionalId").asText());
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.put("max.block.ms", String.valueOf(timeout));
    p.put("delivery.timeout.ms", String.valueOf(timeout + 1000));
    p.put("linger.ms", "0");
    String topic = task.path("topic").asText(null);
    String marker = task.get("marker").asText();
    List<String> done = new ArrayList<>();
    String step = "init";
    KafkaProducer<byte[], byte[]> producer = null;
    ObjectNode result;
    try {
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      producer.initTransactions();
      done.add("init");
      if (topic != null) {
        for (String end : List.of("commit", "abort")) {
          step = "send";
          producer.beginTransaction();
          byte[] text = (marker + ":" + end).getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(topic, text, text)).get();
          done.add("send");
          step = end;
          if (end.equals("commit")) producer.commitTransaction();
          else producer.abortTransaction();
          done.add(end);
        }
      }
      result = JSON.createObjectNode();
      result.put("ok", true);
    } catch (Throwable error) {
      result = failure(error);
      result.put("step", step);
    } finally {
      if (producer != null) producer.close(Duration.ofSeconds(5));
    }
    ArrayNode steps = result.putArray("done");
    done.forEach(steps::add);
    return result;
  }

  private static ObjectNode failure(Throwable error) {
    Throwable cause = error instanceof ExecutionException && error.getCause() != null ? error.getCause() : error;
    ObjectNode result = JSON.createObjectNode();
    result.put("ok", false);
    Errors kafkaError = Errors.forException(cause);
    if (kafkaError != Errors.UNKNOWN_SERVER_ERROR || cause instanceof org.apache.kafka.common.errors.UnknownServerException) result.put("kafkaError", kafkaError.name());
    result.put("message", cause.getClass().getSimpleName() + ": " + cause.getMessage());
    return result;
  }
}

// The benchmark's floor: what a plain Java AdminClient needs to restore a kafka-drill snapshot,
// sending one batched request per kind of object (split only where KRaft refuses more than
// 10,000 metadata records per request). Compiled by bench/run.ts against the cached Kafka jars;
// never committed as a binary.
//
//   java -cp '<kafka libs>/*:<classes>' Floor client.properties snapshot.json
//
// Prints one JSON line: per kind, milliseconds, requests sent and objects refused.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileInputStream;
import java.io.File;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Floor {
  static final int MAX_RECORDS_PER_REQUEST = 10_000;

  static <T> List<List<T>> chunks(List<T> items, ToIntFunction<T> weight) {
    List<List<T>> result = new ArrayList<>();
    List<T> current = new ArrayList<>();
    int sum = 0;
    for (T item : items) {
      int w = Math.max(1, weight.applyAsInt(item));
      if (!current.isEmpty() && sum + w > MAX_RECORDS_PER_REQUEST) {
        result.add(current);
        current = new ArrayList<>();
        sum = 0;
      }
      current.add(item);
      sum += w;
    }
    if (!current.isEmpty()) result.add(current);
    return result;
  }

  /** Waits for every future; returns how many failed. */
  static int failures(Map<?, ? extends KafkaFuture<?>> futures) {
    int failed = 0;
    for (KafkaFuture<?> future : futures.values()) {
      try {
        future.get();
      } catch (ExecutionException | InterruptedException e) {
        failed++;
      }
    }
    return failed;
  }

  static final Map<String, Map<String, Object>> kinds = new LinkedHashMap<>();

  static void record(String kind, long startedNanos, int requests, int failed) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("ms", (System.nanoTime() - startedNanos) / 1_000_000);
    entry.put("requests", requests);
    entry.put("failed", failed);
    kinds.put(kind, entry);
  }

  public static void main(String[] args) throws Exception {
    Properties properties = new Properties();
    try (FileInputStream in = new FileInputStream(args[0])) {
      properties.load(in);
    }
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "120000");
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "600000");
    JsonNode snapshot = new ObjectMapper().readTree(new File(args[1]));
    long total = System.nanoTime();
    try (Admin admin = Admin.create(properties)) {
      // Topics with their configs.
      List<NewTopic> topics = new ArrayList<>();
      for (JsonNode topic : snapshot.get("topics")) {
        Map<String, String> configs = new HashMap<>();
        topic.get("configs").fields().forEachRemaining(e -> {
          if (e.getValue().has("value")) configs.put(e.getKey(), e.getValue().get("value").asText());
        });
        topics.add(new NewTopic(topic.get("name").asText(), topic.get("partitions").asInt(), (short) topic.get("replicationFactor").asInt()).configs(configs));
      }
      long started = System.nanoTime();
      int requests = 0;
      int failed = 0;
      for (List<NewTopic> chunk : chunks(topics, t -> 1 + t.numPartitions() + t.configs().size())) {
        requests++;
        failed += failures(admin.createTopics(chunk, new CreateTopicsOptions().timeoutMs(120_000)).values());
      }
      // CreateTopics returns once the controller committed the topics; group offsets on a topic the
      // broker does not list yet fail (UNKNOWN_TOPIC_OR_PARTITION), so a correct restore waits, as kafka-drill's does.
      Set<String> waiting = new HashSet<>();
      for (NewTopic topic : topics) waiting.add(topic.name());
      while (true) {
        requests++;
        waiting.removeAll(admin.listTopics().names().get());
        if (waiting.isEmpty()) break;
        Thread.sleep(500);
      }
      record("topics", started, requests, failed);

      // SCRAM users: one upsertion per credential; a user appears once per request.
      SecureRandom random = new SecureRandom();
      List<List<UserScramCredentialAlteration>> rounds = new ArrayList<>();
      for (JsonNode user : snapshot.get("scramUsers")) {
        byte[] password = new byte[18];
        random.nextBytes(password);
        int round = 0;
        for (JsonNode credential : user.get("credentials")) {
          ScramMechanism mechanism = ScramMechanism.fromMechanismName(credential.get("mechanism").asText());
          if (rounds.size() <= round) rounds.add(new ArrayList<>());
          rounds.get(round++).add(new UserScramCredentialUpsertion(user.get("name").asText(), new ScramCredentialInfo(mechanism, credential.get("iterations").asInt()), Base64.getUrlEncoder().encodeToString(password)));
        }
      }
      started = System.nanoTime();
      requests = 0;
      failed = 0;
      for (List<UserScramCredentialAlteration> round : rounds) {
        for (List<UserScramCredentialAlteration> chunk : chunks(round, a -> 1)) {
          requests++;
          failed += failures(admin.alterUserScramCredentials(chunk).values());
        }
      }
      // As kafka-drill's restore does: until the broker logs the users in (it answers from its own
      // copy of the metadata, which can trail the controller).
      int users = snapshot.get("scramUsers").size();
      while (true) {
        requests++;
        if (admin.describeUserScramCredentials().all().get().size() >= users) break;
        Thread.sleep(250);
      }
      record("scram", started, requests, failed);

      // ACLs.
      List<AclBinding> acls = new ArrayList<>();
      for (JsonNode acl : snapshot.get("acls")) {
        acls.add(new AclBinding(
            new ResourcePattern(ResourceType.valueOf(acl.get("resourceType").asText()), acl.get("resourceName").asText(), PatternType.valueOf(acl.get("patternType").asText())),
            new AccessControlEntry(acl.get("principal").asText(), acl.get("host").asText(), AclOperation.valueOf(acl.get("operation").asText()), AclPermissionType.valueOf(acl.get("permissionType").asText()))));
      }
      started = System.nanoTime();
      requests = 0;
      failed = 0;
      for (List<AclBinding> chunk : chunks(acls, a -> 1)) {
        requests++;
        failed += failures(admin.createAcls(chunk).values());
      }
      // Until the broker's authorizer holds them, as kafka-drill's restore waits.
      while (true) {
        requests++;
        if (admin.describeAcls(AclBindingFilter.ANY).values().get().size() >= acls.size()) break;
        Thread.sleep(250);
      }
      record("acls", started, requests, failed);

      // Client quotas.
      List<ClientQuotaAlteration> quotas = new ArrayList<>();
      for (JsonNode quota : snapshot.get("quotas")) {
        Map<String, String> entity = new HashMap<>();
        for (JsonNode part : quota.get("entity")) entity.put(part.get("type").asText(), part.get("name").isNull() ? null : part.get("name").asText());
        List<ClientQuotaAlteration.Op> ops = new ArrayList<>();
        quota.get("values").fields().forEachRemaining(e -> ops.add(new ClientQuotaAlteration.Op(e.getKey(), e.getValue().asDouble())));
        quotas.add(new ClientQuotaAlteration(new ClientQuotaEntity(entity), ops));
      }
      started = System.nanoTime();
      failed = quotas.isEmpty() ? 0 : failures(admin.alterClientQuotas(quotas).values());
      record("quotas", started, quotas.isEmpty() ? 0 : 1, failed);

      // Consumer group offsets: the AdminClient commits per group; every group is sent at once.
      started = System.nanoTime();
      Map<String, KafkaFuture<Void>> commits = new LinkedHashMap<>();
      for (JsonNode group : snapshot.get("consumerGroups")) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (JsonNode offset : group.get("offsets")) {
          String metadata = offset.get("metadata").isNull() ? "" : offset.get("metadata").asText();
          offsets.put(new TopicPartition(offset.get("topic").asText(), offset.get("partition").asInt()), new OffsetAndMetadata(offset.get("offset").asLong(), metadata));
        }
        if (!offsets.isEmpty()) commits.put(group.get("groupId").asText(), admin.alterConsumerGroupOffsets(group.get("groupId").asText(), offsets).all());
      }
      failed = failures(commits);
      record("offsets", started, commits.size(), failed);
    }
    StringBuilder json = new StringBuilder("{\"totalMs\":").append((System.nanoTime() - total) / 1_000_000).append(",\"kinds\":{");
    boolean first = true;
    for (Map.Entry<String, Map<String, Object>> kind : kinds.entrySet()) {
      if (!first) json.append(',');
      first = false;
      json.append('"').append(kind.getKey()).append("\":{");
      boolean firstField = true;
      for (Map.Entry<String, Object> field : kind.getValue().entrySet()) {
        if (!firstField) json.append(',');
        firstField = false;
        json.append('"').append(field.getKey()).append("\":").append(field.getValue());
      }
      json.append('}');
    }
    System.out.println(json.append("}}"));
  }
}

/*
 * Kafka's own authorizer as an oracle: one JVM loads each case's ACL bindings into a fresh
 * org.apache.kafka.metadata.authorizer.StandardAuthorizer (KRaft's default; super.users empty,
 * allow.everyone.if.no.acl.found=false) and answers every question of the case with Kafka's
 * classes of the classpath it runs on: authorize() for a named resource, or
 * authorizeByResourceType() when the question names none. Job: argument 1 (JSON); answers:
 * argument 2 (JSON, "ALLOWED"/"DENIED" per question, in order). Compiled once per Kafka version
 * by src/kafka/java-client.ts.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;

public class AuthorizerRunner {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    JsonNode job = JSON.readTree(new File(args[0]));
    ObjectNode out = JSON.createObjectNode();
    out.put("kafkaVersion", AppInfoParser.getVersion());
    ArrayNode cases = out.putArray("cases");
    for (JsonNode kase : job.get("cases")) {
      StandardAuthorizer authorizer = new StandardAuthorizer();
      Map<String, Object> config = new HashMap<>();
      config.put("super.users", "");
      config.put("allow.everyone.if.no.acl.found", "false");
      authorizer.configure(config);
      withPluginMetrics(authorizer);
      Map<Uuid, StandardAcl> acls = new HashMap<>();
      for (JsonNode acl : kase.get("acls")) {
        AclBinding binding = new AclBinding(
            new ResourcePattern(
                ResourceType.fromString(acl.get("resourceType").asText()),
                acl.get("resourceName").asText(),
                PatternType.fromString(acl.get("patternType").asText())),
            new AccessControlEntry(
                acl.get("principal").asText(),
                acl.get("host").asText(),
                AclOperation.fromString(acl.get("operation").asText()),
                AclPermissionType.fromString(acl.get("permissionType").asText())));
        acls.put(Uuid.randomUuid(), StandardAcl.fromAclBinding(binding));
      }
      authorizer.loadSnapshot(acls);
      authorizer.completeInitialLoad();
      ArrayNode answers = cases.addArray();
      for (JsonNode question : kase.get("questions")) {
        String[] principal = question.get("principal").asText().split(":", 2);
        AuthorizableRequestContext context = new Context(new KafkaPrincipal(principal[0], principal[1]), InetAddress.getByName(question.get("host").asText()));
        AclOperation operation = AclOperation.fromString(question.get("operation").asText());
        ResourceType type = ResourceType.fromString(question.get("resourceType").asText());
        JsonNode name = question.get("name");
        AuthorizationResult result = name == null || name.isNull()
            ? authorizer.authorizeByResourceType(context, operation, type)
            : authorizer.authorize(context, List.of(new Action(operation, new ResourcePattern(type, name.asText(), PatternType.LITERAL), 1, false, false))).get(0);
        answers.add(result.name());
      }
      authorizer.close();
    }
    JSON.writeValue(new File(args[1]), out);
  }

  /** Kafka 4.x's StandardAuthorizer records metrics (Monitorable) and needs them set, as the broker does; 3.9 has none. */
  private static void withPluginMetrics(StandardAuthorizer authorizer) throws Exception {
    Class<?> pluginMetrics;
    try {
      pluginMetrics = Class.forName("org.apache.kafka.common.metrics.PluginMetrics");
    } catch (ClassNotFoundException absent) {
      return;
    }
    Object metrics = Class.forName("org.apache.kafka.common.metrics.internals.PluginMetricsImpl")
        .getConstructor(org.apache.kafka.common.metrics.Metrics.class, Map.class)
        .newInstance(new org.apache.kafka.common.metrics.Metrics(), Map.of());
    authorizer.getClass().getMethod("withPluginMetrics", pluginMetrics).invoke(authorizer, metrics);
  }

  private static final class Context implements AuthorizableRequestContext {
    private final KafkaPrincipal principal;
    private final InetAddress address;

    Context(KafkaPrincipal principal, InetAddress address) {
      this.principal = principal;
      this.address = address;
    }

    public String listenerName() { return "SASL_PLAINTEXT"; }
    public SecurityProtocol securityProtocol() { return SecurityProtocol.SASL_PLAINTEXT; }
    public KafkaPrincipal principal() { return principal; }
    public InetAddress clientAddress() { return address; }
    public int requestType() { return 0; }
    public int requestVersion() { return 0; }
    public String clientId() { return "kafka-drill-authorizer-oracle"; }
    public int correlationId() { return 0; }
  }
}

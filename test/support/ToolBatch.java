import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/**
 * Runs several of Kafka's own command-line tools (their main classes, from the jars on the class
 * path) one after the other in ONE JVM. The batch file has one command a line, tab-separated:
 * main class, then its arguments. Each tool's output follows a line "==== kafka-drill tool N exit=E"
 * printed after it ran. Kafka's Exit is pointed at an exception so a tool that exits (most do, even
 * on success) ends its own run, not the JVM. Compiled without Kafka on the class path: reflection only.
 */
public class ToolBatch {
  static final class ToolExit extends RuntimeException {
    final int status;

    ToolExit(int status) {
      super(null, null, false, false);
      this.status = status;
    }
  }

  static Integer firstStatus;

  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
    Class<?> exit = Class.forName("org.apache.kafka.common.utils.Exit");
    Class<?> procedure = Class.forName("org.apache.kafka.common.utils.Exit$Procedure");
    Object throwing = Proxy.newProxyInstance(procedure.getClassLoader(), new Class<?>[] {procedure}, (proxy, method, methodArgs) -> {
      switch (method.getName()) {
        case "execute":
          // A tool may catch what it threw itself (TopicCommand's finally exits, its caller catches Throwable): the first status is the tool's.
          if (firstStatus == null) firstStatus = (Integer) methodArgs[0];
          throw new ToolExit((Integer) methodArgs[0]);
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == methodArgs[0];
        default:
          return "ToolBatch exit";
      }
    });
    exit.getMethod("setExitProcedure", procedure).invoke(null, throwing);
    exit.getMethod("setHaltProcedure", procedure).invoke(null, throwing);
    int index = 0;
    for (String line : lines) {
      if (line.isBlank()) continue;
      String[] parts = line.split("\t");
      String[] toolArgs = java.util.Arrays.copyOfRange(parts, 1, parts.length);
      firstStatus = null;
      int status = 0;
      try {
        Method main = Class.forName(parts[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) toolArgs);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof ToolExit) status = ((ToolExit) e.getCause()).status;
        else {
          e.getCause().printStackTrace();
          status = 99;
        }
      }
      if (firstStatus != null) status = firstStatus;
      System.out.println();
      System.out.println("==== kafka-drill tool " + index++ + " exit=" + status);
      System.out.flush();
    }
    System.exit(0);
  }
}

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';
import { cacheRoot } from './distribution.js';

/**
 * The Prometheus JMX exporter's Java agent, what most Kafka operators scrape: resolved from Maven
 * Central into the cache once, then attached to the drill's brokers and Connect workers with the
 * rules below. 1.0.1 is the newest release Maven Central served this project (1.3.0 to 1.5.0 did
 * not resolve, 2026-12).
 */
export const JMX_EXPORTER = { groupId: 'io.prometheus.jmx', artifactId: 'jmx_prometheus_javaagent', version: '1.0.1' } as const;

/**
 * Strimzi's rules (kafka-metrics.yaml, connect-metrics.yaml), reduced to the beans the drill keeps,
 * so the names are the ones their dashboards use: kafka_server_brokertopicmetrics_failedproducerequests_total,
 * kafka_network_requestmetrics_errors_total{request,error}, kafka_server_replicamanager_underreplicatedpartitions, …
 * Scraping every bean of a broker takes seconds; these take milliseconds.
 */
export const JMX_EXPORTER_RULES = `lowercaseOutputName: true
includeObjectNames:
  - "kafka.server:type=BrokerTopicMetrics,*"
  - "kafka.server:type=ReplicaManager,*"
  - "kafka.controller:type=KafkaController,*"
  - "kafka.network:type=RequestMetrics,name=ErrorsPerSec,*"
  - "kafka.connect:type=connect-worker-metrics"
rules:
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)PerSec\\w*, (.+)=(.+), (.+)=(.+)><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels:
      "$4": "$5"
      "$6": "$7"
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)PerSec\\w*, (.+)=(.+)><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels:
      "$4": "$5"
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)PerSec\\w*><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)><>(Count|Value)
    name: kafka_$1_$2_$3
    type: GAUGE
  - pattern: kafka.connect<type=connect-worker-metrics><>([a-z-]+)
    name: kafka_connect_worker_$1
    type: GAUGE
`;

/** The agent's jar in the cache, resolved with Maven the first time (as `kafka install` resolves Kafka). */
export async function installJmxExporter(log: (line: string) => void = () => {}): Promise<string> {
  const { groupId, artifactId, version } = JMX_EXPORTER;
  const dir = join(cacheRoot(), 'jmx-exporter');
  const jar = join(dir, `${artifactId}-${version}.jar`);
  if (existsSync(jar)) return jar;
  const staging = `${dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    log(`resolving ${groupId}:${artifactId}:${version} from Maven Central`);
    const result = await execa('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=${groupId}:${artifactId}:${version}:jar`, `-DoutputDirectory=${staging}`], {
      cwd: staging,
      reject: false,
      all: true,
    });
    if (result.exitCode !== 0) {
      const firstError = (result.all ?? '').split('\n').find((line) => line.includes('[ERROR]')) ?? 'mvn failed';
      throw new InfrastructureError(`cannot resolve the JMX exporter agent ${groupId}:${artifactId}:${version}: ${firstError.replace(/^\[ERROR\]\s*/, '').trim()}`);
    }
    await mkdir(dir, { recursive: true });
    await rename(join(staging, `${artifactId}-${version}.jar`), jar);
    return jar;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The agent's jar and its rules file, as the JVMs that load it see them. */
export interface JmxAgent {
  jar: string;
  rulesFile: string;
}

/** The agent for JVMs on this host: its rules written into the environment's work dir. */
export async function localJmxAgent(jar: string, workDir: string): Promise<JmxAgent> {
  const rulesFile = join(workDir, 'jmx-exporter.yaml');
  await writeFile(rulesFile, JMX_EXPORTER_RULES);
  return { jar, rulesFile };
}

/** Where a container gets the agent (copied in before it starts), and the port it serves inside the container. */
export const CONTAINER_JMX_AGENT: JmxAgent = { jar: '/tmp/kafka-drill-jmx/jmx_prometheus_javaagent.jar', rulesFile: '/tmp/kafka-drill-jmx/rules.yaml' };
export const CONTAINER_METRICS_PORT = 9404;

/** The files to copy into a container for CONTAINER_JMX_AGENT. */
export async function containerJmxFiles(jar: string): Promise<{ content: Buffer | string; target: string; mode: number }[]> {
  return [
    { content: await readFile(jar), target: CONTAINER_JMX_AGENT.jar, mode: 0o644 },
    { content: JMX_EXPORTER_RULES, target: CONTAINER_JMX_AGENT.rulesFile, mode: 0o644 },
  ];
}

/** The JVM option that starts the agent, serving /metrics on host:port (host omitted: every interface, inside a container). */
export function jmxAgentOption(agent: JmxAgent, port: number, host?: string): string {
  return `-javaagent:${agent.jar}=${host ? `${host}:` : ''}${port}:${agent.rulesFile}`;
}

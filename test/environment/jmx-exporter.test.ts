/**
 * The Prometheus JMX exporter's agent on real brokers and Connect workers: the drill scrapes it and
 * keeps the named metrics, under the names operators' dashboards use, with Kafka's own counts.
 */
import { describe, expect, it } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import { scrapeEnvironmentMetrics } from '../../src/environment/jmx-metrics.js';
import type { StartedEnvironment } from '../../src/environment/types.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { dockerEngine } from '../support/docker.js';
import { itWith } from '../support/require.js';

/** Metadata for a topic that does not exist (auto-creation is off): Kafka counts the error by request and error name. */
async function askForMissingTopic(environment: StartedEnvironment): Promise<void> {
  const admin = createProbeClient(environment.admin, { retries: 0 }).admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: ['kafka-drill-no-such-topic'] }).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}

async function scrapeAndCheck(environment: StartedEnvironment) {
  await askForMissingTopic(environment);
  const metrics = (await scrapeEnvironmentMetrics(environment))!;
  expect(metrics.agent).toBe('io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1');
  const broker = metrics.targets.find((target) => target.process === 'broker 1')!;
  expect(broker.error).toBeUndefined();
  const value = (name: string, labels: Record<string, string> = {}) => broker.samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
  expect(value('kafka_controller_kafkacontroller_activecontrollercount')).toBe(1);
  expect(value('kafka_controller_kafkacontroller_offlinepartitionscount')).toBe(0);
  expect(value('kafka_server_replicamanager_underreplicatedpartitions')).toBe(0);
  expect(value('kafka_server_brokertopicmetrics_failedproducerequests_total')).toBe(0);
  expect(value('kafka_server_brokertopicmetrics_failedfetchrequests_total')).toBe(0);
  expect(value('kafka_network_requestmetrics_errors_total', { error: 'UNKNOWN_TOPIC_OR_PARTITION', request: 'Metadata' })).toBeGreaterThanOrEqual(1);
  // Only counted errors are kept: the agent also serves NONE (successful responses), which the drill leaves out.
  const raw = await (await fetch(broker.url)).text();
  expect(raw).toMatch(/^kafka_network_requestmetrics_errors_total\{error="NONE",request="\w+"\} \d/m);
  expect(broker.samples.filter((s) => s.name === 'kafka_network_requestmetrics_errors_total' && (s.labels.error === 'NONE' || s.value === 0))).toEqual([]);
  return metrics;
}

describe('JMX exporter agent', () => {
  it('process provider: a broker and a Connect worker serve their metrics on 127.0.0.1 and the drill keeps the named ones', async () => {
    const environment = await startEnvironment('process', {
      kafkaVersion: DEFAULT_KAFKA_VERSION,
      brokers: 1,
      security: 'plaintext',
      heapMb: 384,
      jmxExporter: true,
      connect: { heapMb: 384 },
    });
    try {
      expect(environment.brokers[0]!.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const metrics = await scrapeAndCheck(environment);
      const worker = metrics.targets.find((target) => target.process.startsWith('connect '))!;
      expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(worker.error).toBeUndefined();
      expect(worker.samples.find((s) => s.name === 'kafka_connect_worker_connector_count')?.value).toBe(0);
    } finally {
      await environment.stop();
    }
  }, 240_000);

  it('an environment without the agent has nothing to scrape', async () => {
    expect(await scrapeEnvironmentMetrics({ brokers: [{ nodeId: 1, pid: 1, address: '127.0.0.1:1', logFile: '/dev/null' }] })).toBeUndefined();
  });

  itWith(dockerEngine())(
    'docker provider: the broker and Connect worker containers serve the same metrics through their mapped ports',
    async () => {
      const environment = await startEnvironment('docker', {
        kafkaVersion: DEFAULT_KAFKA_VERSION,
        brokers: 1,
        security: 'plaintext',
        heapMb: 384,
        jmxExporter: true,
        connect: { heapMb: 384 },
      });
      try {
        const metrics = await scrapeAndCheck(environment);
        const worker = metrics.targets.find((target) => target.process.startsWith('connect '))!;
        expect(worker.error).toBeUndefined();
        expect(worker.samples.find((s) => s.name === 'kafka_connect_worker_connector_count')?.value).toBe(0);
      } finally {
        await environment.stop();
      }
    },
    240_000,
  );
});

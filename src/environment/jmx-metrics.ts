import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { errorMessage } from '../errors.js';
import { JMX_EXPORTER } from '../runtime/jmx-exporter.js';
import type { ScrapedMetrics } from '../model/result.js';
import type { StartedEnvironment } from './types.js';
import { compareText } from '../snapshot/canonical.js';

/**
 * What the drill keeps of a scrape of the JMX exporter's agent: a few metrics operators'
 * dashboards show during a recovery, by the names those dashboards use (Strimzi's rules). Kafka
 * counts them; the drill adds no counters of its own.
 */
export const KEPT_METRICS = [
  'kafka_server_brokertopicmetrics_failedproducerequests_total',
  'kafka_server_brokertopicmetrics_failedfetchrequests_total',
  'kafka_server_brokertopicmetrics_messagesin_total',
  'kafka_network_requestmetrics_errors_total',
  'kafka_server_replicamanager_underreplicatedpartitions',
  'kafka_server_replicamanager_offlinereplicacount',
  'kafka_controller_kafkacontroller_activecontrollercount',
  'kafka_controller_kafkacontroller_offlinepartitionscount',
  'kafka_connect_worker_connector_count',
  'kafka_connect_worker_task_count',
] as const;

type Samples = ScrapedMetrics['targets'][number]['samples'];

/** The kept samples of one scrape (Prometheus text format); request errors only where an error was counted (not NONE). */
export function keptSamples(text: string): Samples {
  const samples: Samples = [];
  for (const family of parsePrometheusTextFormat(text)) {
    if (!(KEPT_METRICS as readonly string[]).includes(family.name)) continue;
    for (const metric of family.metrics) {
      const labels = metric.labels ?? {};
      const value = Number(metric.value);
      if (!Number.isFinite(value)) continue;
      if (family.name === 'kafka_network_requestmetrics_errors_total' && (labels.error === 'NONE' || value === 0)) continue;
      samples.push({ name: family.name, labels, value });
    }
  }
  return samples.sort((a, b) => compareText(a.name, b.name) || compareText(JSON.stringify(a.labels), JSON.stringify(b.labels)));
}

/** Scrapes every broker's and Connect worker's agent once; undefined when the environment runs none. */
export async function scrapeEnvironmentMetrics(environment: Pick<StartedEnvironment, 'brokers' | 'connect'>): Promise<ScrapedMetrics | undefined> {
  const targets = [
    ...environment.brokers.map((broker) => ({ process: `broker ${broker.nodeId}`, url: broker.metricsUrl })),
    ...(environment.connect?.workers ?? []).map((worker) => ({ process: `connect ${worker.url}`, url: worker.metricsUrl })),
  ].filter((target): target is { process: string; url: string } => target.url !== undefined);
  if (targets.length === 0) return undefined;
  return {
    agent: `${JMX_EXPORTER.groupId}:${JMX_EXPORTER.artifactId}:${JMX_EXPORTER.version}`,
    targets: await Promise.all(
      targets.map(async ({ process, url }) => {
        const scrapedAt = new Date().toISOString();
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          if (!response.ok) return { process, url, scrapedAt, error: `HTTP ${response.status}`, samples: [] };
          return { process, url, scrapedAt, samples: keptSamples(await response.text()) };
        } catch (error) {
          return { process, url, scrapedAt, error: errorMessage(error), samples: [] };
        }
      }),
    ),
  };
}

/**
 * DescribeConfigs for topics and brokers, through the low-level API: the Admin class routes a
 * BROKER resource by Number(name), which sends the cluster-default resource "" to broker 0.
 * A broker's own resource must go to that broker; topics and the cluster default go to the
 * first one, topics in requests of TOPICS_PER_REQUEST one after another: one request per broker
 * for up to that many topics.
 */
import { connectionsTo } from './raw.js';
import { ConfigResourceTypes, describeConfigsV4, type Admin, type ConfigResourceTypeValue } from '@platformatic/kafka';

type DescribeConfigsResponseConfig = describeConfigsV4.DescribeConfigsResponseConfig;
type Resource = { resourceType: ConfigResourceTypeValue; resourceName: string };

/** Kafka's ConfigSource ids, named as the snapshot names them. */
const CONFIG_SOURCES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'DYNAMIC_CLIENT_METRICS_CONFIG',
  8: 'DYNAMIC_GROUP_CONFIG',
};

export interface DescribedConfig {
  name: string;
  /** null for a sensitive value: Kafka never returns those. */
  value: string | null;
  source: string;
  sensitive: boolean;
}

export interface DescribedConfigs {
  topics: Map<string, DescribedConfig[]>;
  /** The cluster-wide default broker resource (""). */
  clusterDefault: DescribedConfig[];
  /** Broker id → the configs that broker reports for itself. */
  brokers: Map<number, DescribedConfig[]>;
}

/**
 * Topics per DescribeConfigs request. A topic has ~40 configs and a response is decoded whole,
 * ~200 bytes a config: a capture of 5,000 topics in one request held ~40 MB of configs it mostly
 * drops. In requests of 500, one after another, one topic request's answer is decoded at a time
 * (what a caller keeps of each adds up), for a few round trips more.
 */
export const TOPICS_PER_REQUEST = 500;

export interface DescribeConfigsOptions {
  /** Only these configs of each resource (a sampler wants one config of thousands of topics, not the ~40 each has). */
  keys?: string[];
  /** The topic configs to keep, when a caller needs a few of each topic's (a capture: those set on the topic). */
  keepTopicConfig?: (config: DescribedConfig) => boolean;
  /** Default TOPICS_PER_REQUEST; Infinity for one request, when `keys` keeps each answer small. */
  topicsPerRequest?: number;
}

/** Every config of each resource, or those `options` ask for. */
export async function describeTopicAndBrokerConfigs(admin: Admin, topics: string[], brokerIds: number[], options: DescribeConfigsOptions = {}): Promise<DescribedConfigs> {
  const [first, ...others] = brokerIds;
  if (first === undefined) throw new Error('the cluster reported no brokers');
  const perRequest = options.topicsPerRequest ?? TOPICS_PER_REQUEST;
  if (!(perRequest >= 1)) throw new RangeError(`topics per DescribeConfigs request must be at least 1, got ${perRequest}`);
  const connections = await connectionsTo(admin, brokerIds);
  const configurationKeys = options.keys ?? null;
  const describe = (brokerId: number, resources: Resource[]) =>
    describeConfigsV4.api.async(
      connections.get(brokerId)!,
      resources.map((resource) => ({ ...resource, configurationKeys })),
      false,
      false,
    );
  const broker = (id: number): Resource => ({ resourceType: ConfigResourceTypes.BROKER, resourceName: String(id) });
  const described: DescribedConfigs = { topics: new Map(), clusterDefault: [], brokers: new Map() };
  const keep = options.keepTopicConfig ?? (() => true);
  const take = (results: describeConfigsV4.DescribeConfigsResponseResult[]) => {
    for (const result of results) {
      if (result.resourceType === ConfigResourceTypes.TOPIC) described.topics.set(result.resourceName, result.configs.map(toDescribedConfig).filter(keep));
      else if (result.resourceName === '') described.clusterDefault = result.configs.map(toDescribedConfig);
      else described.brokers.set(Number(result.resourceName), result.configs.map(toDescribedConfig));
    }
  };
  const othersDescribed = Promise.all(others.map((id) => describe(id, [broker(id)])));
  othersDescribed.catch(() => {}); // awaited below, after the topics: not an unhandled rejection if a topic request fails first
  const topicResources = topics.map((name): Resource => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }));
  // The first request also carries the cluster default and the first broker: one request in all for up to `perRequest` topics.
  let start = 0;
  do {
    const resources = [...(start === 0 ? [{ resourceType: ConfigResourceTypes.BROKER, resourceName: '' }, broker(first)] : []), ...topicResources.slice(start, start + perRequest)];
    take((await describe(first, resources)).results);
    start += perRequest;
  } while (start < topics.length);
  for (const response of await othersDescribed) take(response.results);
  return described;
}

function toDescribedConfig(config: DescribeConfigsResponseConfig): DescribedConfig {
  return { name: config.name, value: config.value ?? null, source: CONFIG_SOURCES[config.configSource] ?? 'UNKNOWN', sensitive: config.isSensitive };
}

/** Kafka prints doubles its own way ("5.24288E7" for 52428800): equal text or equal numbers are the same value. */
export function sameConfigValue(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.trim() === '' || b.trim() === '') return false;
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) && x === y;
}

/**
 * DescribeConfigs for topics and brokers, through the low-level API: the Admin class routes a
 * BROKER resource by Number(name), which sends the cluster-default resource "" to broker 0.
 * A broker's own resource must go to that broker; topics and the cluster default go to the
 * first one. One request per broker, whatever the number of topics.
 */
import { connectionsTo } from './raw.js';
import { ConfigResourceTypes, describeConfigsV4, type Admin } from '@platformatic/kafka';

type DescribeConfigsResponseConfig = describeConfigsV4.DescribeConfigsResponseConfig;

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

/** Every config of each resource, or only those named in `keys` (a sampler wants one config of thousands of topics, not the ~40 each has). */
export async function describeTopicAndBrokerConfigs(admin: Admin, topics: string[], brokerIds: number[], keys?: string[]): Promise<DescribedConfigs> {
  const [first, ...others] = brokerIds;
  if (first === undefined) throw new Error('the cluster reported no brokers');
  const connections = await connectionsTo(admin, brokerIds);
  const configurationKeys = keys ?? null;
  const broker = (id: number) => ({ resourceType: ConfigResourceTypes.BROKER, resourceName: String(id), configurationKeys });
  const requests = [
    {
      brokerId: first,
      resources: [
        ...topics.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys })),
        { resourceType: ConfigResourceTypes.BROKER, resourceName: '', configurationKeys },
        broker(first),
      ],
    },
    ...others.map((id) => ({ brokerId: id, resources: [broker(id)] })),
  ];
  const responses = await Promise.all(requests.map(({ brokerId, resources }) => describeConfigsV4.api.async(connections.get(brokerId)!, resources, false, false)));

  const described: DescribedConfigs = { topics: new Map(), clusterDefault: [], brokers: new Map() };
  for (const result of responses.flatMap((response) => response.results)) {
    const configs = result.configs.map(toDescribedConfig);
    if (result.resourceType === ConfigResourceTypes.TOPIC) described.topics.set(result.resourceName, configs);
    else if (result.resourceName === '') described.clusterDefault = configs;
    else described.brokers.set(Number(result.resourceName), configs);
  }
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

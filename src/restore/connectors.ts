import { errorMessage } from '../errors.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { isAbsolute, join } from 'node:path';
import {
  alterConnectorOffsets,
  connectorPlugins,
  connectorStatus,
  connectVersionAtLeast,
  ConnectRestError,
  createConnector,
  describeConnectors,
  getConnectorOffsets,
  pauseConnector,
  putConnectorConfig,
  resumeConnector,
  serverInfo,
  stopConnector,
  type ConnectEndpoint,
  type ConnectorOffsetEntry,
  type ConnectorState,
  type ConnectorStatus,
} from '../kafka/connect-rest.js';
import { compactCanonicalJson } from '../snapshot/canonical.js';
import type { Connector, Snapshot } from '../snapshot/schema.js';
import { externalSettingRule, externalSettings, isKnownConnectorClass, replacementProblem, type ExternalSetting } from '../drill-spec/external-settings.js';
import { resolvePlaceholders, type PlaceholderValues } from '../drill-spec/placeholders.js';
import { sinkPosition, type OffsetMap } from './offset-map.js';
import { PhaseRecorder, type ConnectorOverride, type ConnectorSecretSource, type PhaseResult, type RestoreContext } from './phase.js';

/**
 * The connectors phase, after offsets: each connector is created STOPPED (KIP-980, Kafka ≥ 3.7),
 * its KIP-875 offsets are PATCHed while it cannot run, then it is resumed — or paused, or left
 * stopped, as the snapshot had it. A sink's offsets are its consumer group connect-<name>: the
 * PATCH writes that group, with the values the offsets phase committed (capture reads both from
 * the group), so there is one truth. Idempotent: a connector already there with the same config
 * and offsets is left alone. A plugin the workers lack, or a secret without a source, is a
 * finding (and a manual step), never a crash.
 *
 * A drill writes only to what it started: settings that name an external system (the rules in
 * src/drill-spec/external-settings.ts) are replaced by the spec's restore.connectors first; a connector
 * still naming one is created STOPPED with its offsets and never started (connector-isolated,
 * and a manual step), unless the spec allows that setting (connector-writes-external, shown red).
 */

/** How long a connector may take to reach the state the snapshot had (a loaded worker starts tasks slowly). */
const SETTLE_MS = 60_000;

export async function restoreConnectors(context: RestoreContext): Promise<PhaseResult> {
  const recorder = new PhaseRecorder('connectors');
  const connectors = context.snapshot.connect?.connectors ?? [];
  // Nothing to restore is not a pass of anything: the phase shows as skipped.
  if (connectors.length === 0) return { ...recorder.finish(), status: 'skipped' };
  const endpoint = context.options.connect;
  if (!endpoint) {
    recorder.finding(
      'connect-unavailable',
      'error',
      'connectors',
      `the snapshot has ${connectors.length} connector(s) but the target runs no Kafka Connect worker (target.connect)`,
    );
    recorder.counts.failed = connectors.length;
    return recorder.finish();
  }
  const rest = counted(recorder);
  const [info, plugins, existing] = await Promise.all([rest(serverInfo(endpoint)), rest(connectorPlugins(endpoint)), rest(describeConnectors(endpoint))]);
  const startsStopped = connectVersionAtLeast(info.version, 3, 7);
  if (!startsStopped) {
    recorder.finding(
      'connect-too-old',
      'warning',
      'connectors',
      `Connect ${info.version} cannot create a connector STOPPED (KIP-980, Kafka 3.7): each is created, then stopped at once, and may process records in between`,
    );
  }
  if (!connectVersionAtLeast(info.version, 3, 6)) {
    recorder.finding('connect-too-old', 'error', 'connectors', `Connect ${info.version} cannot alter connector offsets (KIP-875, Kafka 3.6): connectors would start from scratch`);
  }
  const available = new Set(plugins.flatMap((plugin) => pluginNames(plugin.class)));
  const groups = new Map(context.snapshot.consumerGroups.map((group) => [group.groupId, group]));
  const settling: Promise<void>[] = [];

  const outcomes = (context.connectors ??= new Map());
  const overrides = context.options.connectorOverrides ?? {};
  for (const captured of connectors) {
    const override = overrides[captured.name];
    const connector = withOverrides(captured, override, context.options.placeholders ?? {});
    const object = `connector ${connector.name}`;
    const pluginClass = connector.config['connector.class'];
    if (typeof pluginClass !== 'string' || !available.has(pluginClass)) {
      recorder.finding(
        'connector-plugin-missing',
        'error',
        object,
        `the target's Connect workers have no plugin ${typeof pluginClass === 'string' ? pluginClass : '(connector.class redacted)'}: install it on the plugin path (kafka-drill connect install)`,
      );
      recorder.counts.failed++;
      outcomes.set(connector.name, { status: 'failed', reason: `not created: the workers have no plugin ${String(pluginClass)}` });
      continue;
    }
    const resolved = await resolveConfig(connector, context.options.connectorSecrets?.[connector.name] ?? {}, context.options.baseDir ?? process.cwd());
    for (const [key, value] of Object.entries(connector.config)) if (typeof value !== 'string' && resolved.config[key]) context.options.secrets?.add(resolved.config[key]);
    if (resolved.missing.length > 0) {
      for (const { key, reason } of resolved.missing) {
        recorder.manualSteps.push({
          id: `connector-secret-${connector.name}-${key}`,
          title: `Supply ${key} of connector ${connector.name} (${reason}) and create the connector`,
          phase: 'connectors',
          estimateMinutes: 10,
          asset: { kind: 'connector', name: connector.name },
        });
      }
      recorder.finding(
        'connector-secret-missing',
        'warning',
        object,
        `not created: ${resolved.missing.map((m) => m.key).join(', ')} ${resolved.missing.length > 1 ? 'are' : 'is'} redacted in the snapshot and the drill names no source (restore.connectorSecrets)`,
      );
      outcomes.set(connector.name, { status: 'unsourced', reason: `not created: ${resolved.missing.map((m) => `${m.key} (${m.reason})`).join(', ')}` });
      continue;
    }
    const { held, allowed, unknownClass } = isolation(connector, override, pluginClassNamed(pluginClass, plugins));
    const isHeld = held.length > 0 || unknownClass !== undefined;
    // A connector that could reach a store the drill does not own never runs: STOPPED with its offsets, and a person decides.
    const target = isHeld ? 'STOPPED' : targetState(connector.state);
    if (isHeld) {
      const settings = held.map((setting) => setting.key).join(', ');
      const why = [...(unknownClass ? [unknownClass] : []), ...held.map((setting) => `${setting.key} ${setting.why}`)].join('; ');
      // Created, then stopped, it could reach the external system in between: then it is not created at all.
      recorder.finding(
        'connector-isolated',
        'warning',
        object,
        startsStopped ? `restored STOPPED, never started: ${why}` : `not created (Connect ${info.version} cannot create a connector STOPPED): ${why}`,
      );
      const heldBecause = [
        ...(unknownClass ? [unknownClass] : []),
        ...(held.length > 0 ? [`${settings} name${held.length > 1 ? '' : 's'} an external system the drill spec does not replace (restore.connectors)`] : []),
      ].join('; ');
      outcomes.set(connector.name, { status: 'isolated', reason: `${startsStopped ? 'restored STOPPED' : 'not created'}: ${heldBecause}` });
      if (connector.state !== 'STOPPED' || !startsStopped) {
        recorder.manualSteps.push({
          id: `connector-isolated-${connector.name}`,
          title: unknownClass
            ? `Point every setting of connector ${connector.name} that names an external system at the recovered store and start it (the drill held it back: it does not know the settings of ${pluginClass})`
            : `Point ${settings} of connector ${connector.name} at the recovered store${held.length > 1 ? 's' : ''} and start it (the drill held it back: it names an external system)`,
          phase: 'connectors',
          estimateMinutes: 10,
          asset: { kind: 'connector', name: connector.name },
        });
      }
      if (!startsStopped) continue;
    }
    if (allowed.length > 0) {
      recorder.finding(
        'connector-writes-external',
        'warning',
        object,
        mask(
          `runs against the external system${allowed.length > 1 ? 's' : ''} the snapshot names, as restore.connectors.${connector.name}.allowExternal allows: ${allowed.map((setting) => `${setting.key} = ${shownValue(captured.config[setting.key])} (${setting.rule.names})`).join('; ')}`,
          resolved.secrets,
        ),
      );
    }
    try {
      const outcome = await restoreOne(endpoint, connector, target, resolved.config, existing.get(connector.name)?.info.config, startsStopped, rest, context.offsetMap);
      recorder.counts[outcome]++;
      if (!isHeld) outcomes.set(connector.name, { status: 'restored', ...(allowed.length > 0 ? { external: allowed.map((setting) => setting.key) } : {}) });
      const sinkGroup = groups.get(`connect-${connector.name}`);
      if (connector.type === 'sink' && sinkGroup && !sameOffsets(sinkOffsets(sinkGroup), connector.offsets)) {
        recorder.finding(
          'connector-group-differs',
          'info',
          object,
          `the snapshot's group connect-${connector.name} differs from the connector's offsets; the connector's were applied last`,
        );
      }
      // Connectors start side by side: wait for all of them at the end, not one after the other.
      settling.push(
        settle(endpoint, connector, target, rest).then((problem) => {
          if (problem) recorder.finding('connector-not-settled', 'warning', object, mask(problem, resolved.secrets));
        }),
      );
    } catch (error) {
      recorder.counts.failed++;
      const detail = error instanceof ConnectRestError ? `${error.method} ${error.path}: HTTP ${error.status}: ${error.connectMessage}` : errorMessage(error);
      recorder.finding('connector-restore-failed', 'error', object, `restoring the connector failed: ${mask(detail, resolved.secrets)}`);
      outcomes.set(connector.name, { status: 'failed', reason: `restoring it failed: ${mask(detail, resolved.secrets)}` });
    }
  }
  await Promise.all(settling);
  return recorder.finish();
}

/**
 * The connector as the drill restores it: the spec's replacements in its config (placeholders
 * resolved), and offsets that named a replaced external setting's captured value naming the
 * replacement instead (a FileStream source's offset partition is its `file`). Idempotent.
 */
export function withOverrides(connector: Connector, override: ConnectorOverride | undefined, placeholders: PlaceholderValues): Connector {
  const replaced = resolvePlaceholders(override?.config ?? {}, placeholders);
  if (Object.keys(replaced).length === 0) return connector;
  const renamed = new Map<string, string>();
  for (const [key, value] of Object.entries(replaced)) {
    const captured = connector.config[key];
    if (typeof captured === 'string' && captured !== value && externalSettingRule(key)) renamed.set(captured, value);
  }
  const rename = (value: unknown): unknown =>
    typeof value === 'string'
      ? (renamed.get(value) ?? value)
      : Array.isArray(value)
        ? value.map(rename)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rename(inner)]))
          : value;
  return {
    ...connector,
    config: { ...connector.config, ...replaced },
    offsets: renamed.size === 0 ? connector.offsets : connector.offsets.map((entry) => rename(entry) as (typeof connector.offsets)[number]),
  };
}

/** The snapshot with every connector as the drill restores it (withOverrides): what verify and the probes compare with. */
export function connectorsAsRestored(snapshot: Snapshot, overrides: Record<string, ConnectorOverride>, placeholders: PlaceholderValues): Snapshot {
  if (!snapshot.connect || Object.keys(overrides).length === 0) return snapshot;
  return {
    ...snapshot,
    connect: { ...snapshot.connect, connectors: snapshot.connect.connectors.map((connector) => withOverrides(connector, overrides[connector.name], placeholders)) },
  };
}

/**
 * Each setting of the connector (as restored) that names an external system: drill-owned when the
 * spec replaced it with a store the drill owns; allowed when the spec's allowExternal lists it;
 * else held, with why.
 */
export function isolation(
  connector: Connector,
  override: ConnectorOverride | undefined,
  className: string = String(connector.config['connector.class']),
): { held: { key: string; why: string }[]; allowed: ExternalSetting[]; unknownClass?: string } {
  const held: { key: string; why: string }[] = [];
  const allowed: ExternalSetting[] = [];
  // The rules match setting names; a class the drill does not know may name its stores otherwise.
  const unknownClass =
    isKnownConnectorClass(className) || override?.externalSettingsReviewed
      ? undefined
      : `connector class ${className}: the drill does not know which of its settings name external systems (restore.connectors.${connector.name}.externalSettingsReviewed: true once each is replaced or allowed)`;
  for (const setting of externalSettings(connector.config)) {
    const written = override?.config?.[setting.key];
    const problem = written === undefined ? undefined : replacementProblem(setting.key, written);
    if (written !== undefined && !problem) continue;
    if (override?.allowExternal?.includes(setting.key)) allowed.push(setting);
    else
      held.push({
        key: setting.key,
        why: problem ?? `names ${setting.rule.names} (rule ${setting.rule.pattern}) and restore.connectors.${connector.name}.config does not replace it`,
      });
  }
  return { held, allowed, ...(unknownClass ? { unknownClass } : {}) };
}

/** The class a connector.class value names on these workers: itself, or the one plugin an alias (simple name, without "Connector") stands for. */
export function pluginClassNamed(name: string, plugins: readonly { class: string }[]): string {
  const named = plugins.filter((plugin) => pluginNames(plugin.class).includes(name));
  return named.length === 1 ? named[0]!.class : name;
}

function shownValue(value: Connector['config'][string] | undefined): string {
  return typeof value === 'string' ? value : '(redacted)';
}

/** Connect's messages may quote a config value: never one the drill filled in from a secret source. */
function mask(text: string, secrets: string[]): string {
  return secrets.reduce((masked, secret) => masked.replaceAll(secret, '***'), text);
}

/** Counts each REST request as one of the phase's requests. */
function counted(recorder: PhaseRecorder) {
  return <T>(call: Promise<T>) => recorder.request(call);
}
type Rest = ReturnType<typeof counted>;

/** A plugin is named by its class, its simple name, or the simple name without "Connector" (Connect's aliases). */
function pluginNames(className: string): string[] {
  const simple = className.split('.').at(-1)!;
  return [className, simple, simple.replace(/Connector$/, '')];
}

type TargetState = 'RUNNING' | 'PAUSED' | 'STOPPED';

function targetState(state: Connector['state']): TargetState {
  return state === 'PAUSED' || state === 'STOPPED' ? state : 'RUNNING';
}

async function restoreOne(
  endpoint: ConnectEndpoint,
  connector: Connector,
  target: TargetState,
  config: Record<string, string>,
  current: Record<string, string> | undefined,
  startsStopped: boolean,
  rest: Rest,
  offsetMap: OffsetMap | undefined,
): Promise<'created' | 'updated' | 'unchanged'> {
  const { name } = connector;
  let outcome: 'created' | 'updated' | 'unchanged' = 'unchanged';
  let stopped = false;
  const ensureStopped = async () => {
    if (stopped) return;
    await rest(stopConnector(endpoint, name));
    stopped = true;
  };
  if (!current) {
    await rest(createConnector(endpoint, name, config, startsStopped ? 'STOPPED' : undefined));
    if (!startsStopped) await rest(stopConnector(endpoint, name));
    stopped = true;
    outcome = 'created';
  } else if (!sameConfig(current, config)) {
    await ensureStopped();
    await rest(putConnectorConfig(endpoint, name, config));
    outcome = 'updated';
  }

  const wanted = translateOffsets(connector, offsetMap);
  if (wanted.length > 0) {
    const now = outcome === 'created' ? [] : await rest(getConnectorOffsets(endpoint, name));
    if (!sameOffsets(now, wanted)) {
      await ensureStopped();
      await patchWhenStopped(endpoint, name, wanted, rest);
      if (outcome === 'unchanged') outcome = 'updated';
    }
  }

  // Right after a create or stop the worker may have no status yet (404): we know it is stopped.
  const state = stopped ? 'STOPPED' : ((await rest(statusIfKnown(endpoint, name)))?.connector.state ?? 'UNASSIGNED');
  if (stopped || state !== target) {
    if (target === 'RUNNING') await rest(resumeConnector(endpoint, name));
    else if (target === 'PAUSED') await rest(pauseConnector(endpoint, name));
    else if (!stopped) await rest(stopConnector(endpoint, name));
    if (outcome === 'unchanged' && state !== target) outcome = 'updated';
  }
  return outcome;
}

/**
 * Sink offsets go through the offset map like consumer groups (the same plan the offsets phase
 * commits, so the group connect-<name> and the connector agree); without a map (real data) a
 * partition keeps the source's offsets. Source connectors' offsets are theirs, never mapped.
 */
export function translateOffsets(connector: Pick<Connector, 'offsets'>, offsetMap: OffsetMap | undefined): ConnectorOffsetEntry[] {
  return connector.offsets.map((entry) => {
    const sink = offsetMap && sinkPosition(entry);
    const target = sink && offsetMap.translate(sink.topic, sink.partition, sink.offset);
    return { partition: entry.partition, offset: target ? { ...entry.offset, kafka_offset: target.offset } : entry.offset };
  });
}

/** PATCH needs the connector STOPPED; right after a create or stop the worker may not have applied it yet (400). */
async function patchWhenStopped(endpoint: ConnectEndpoint, name: string, offsets: ConnectorOffsetEntry[], rest: Rest): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      await rest(alterConnectorOffsets(endpoint, name, offsets));
      return;
    } catch (error) {
      const retriable = error instanceof ConnectRestError && (error.status === 400 || error.status === 404) && /stopped|not found|does not exist/i.test(error.connectMessage);
      if (!retriable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Waits until the connector is in the snapshot's state with its task count; a message when it is not. */
async function settle(endpoint: ConnectEndpoint, connector: Connector, target: TargetState, rest: Rest): Promise<string | undefined> {
  const deadline = Date.now() + SETTLE_MS;
  let last: { state: ConnectorState; tasks: number; trace?: string } | undefined;
  while (Date.now() < deadline) {
    const status = await rest(statusIfKnown(endpoint, connector.name));
    if (!status) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    const tasksInState = status.tasks.filter((task) => task.state === target).length;
    const failedTask = status.tasks.find((task) => task.state === 'FAILED');
    last = {
      state: status.connector.state,
      tasks: tasksInState,
      ...((status.connector.trace ?? failedTask?.trace) ? { trace: (status.connector.trace ?? failedTask?.trace)! } : {}),
    };
    if (status.connector.state === 'FAILED' || failedTask) break;
    // A stopped connector has no tasks; one resumed into PAUSED from STOPPED has none either until
    // it next runs (Connect generates task configs when the connector starts).
    if (status.connector.state === target && (target !== 'RUNNING' || tasksInState === connector.tasks)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const trace = last?.trace ? `: ${last.trace.split('\n')[0]}` : '';
  return `expected ${target}${target === 'RUNNING' ? ` with ${connector.tasks} task(s)` : ''}, got ${last?.state ?? 'no status'} with ${last?.tasks ?? 0}${trace}`;
}

/** The connector's status, or undefined while the worker has none yet (404 just after a create). */
async function statusIfKnown(endpoint: ConnectEndpoint, name: string): Promise<ConnectorStatus | undefined> {
  try {
    return await connectorStatus(endpoint, name);
  } catch (error) {
    if (error instanceof ConnectRestError && error.status === 404) return undefined;
    throw error;
  }
}

function sameConfig(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

function offsetKey(entries: { partition: unknown; offset: unknown }[]): string {
  return entries
    .map((entry) => compactCanonicalJson([entry.partition, entry.offset]))
    .sort()
    .join('\n');
}

function sameOffsets(a: { partition: unknown; offset: unknown }[], b: { partition: unknown; offset: unknown }[]): boolean {
  return offsetKey(a) === offsetKey(b);
}

function sinkOffsets(group: { offsets: { topic: string; partition: number; offset: number }[] }): ConnectorOffsetEntry[] {
  return group.offsets.map((o) => ({ partition: { kafka_topic: o.topic, kafka_partition: o.partition }, offset: { kafka_offset: o.offset } }));
}

interface ResolvedConfig {
  config: Record<string, string>;
  missing: { key: string; reason: string }[];
  /** Values filled in from secret sources. */
  secrets: string[];
}

/** Redacted values from the drill's sources (env var or file); `${...}` references pass through for the worker's config providers. */
async function resolveConfig(connector: Connector, sources: Record<string, ConnectorSecretSource>, baseDir: string): Promise<ResolvedConfig> {
  const config: Record<string, string> = {};
  const missing: ResolvedConfig['missing'] = [];
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(connector.config)) {
    if (typeof value === 'string') {
      config[key] = value;
      continue;
    }
    const source = sources[key];
    if (!source) {
      missing.push({ key, reason: 'no source in restore.connectorSecrets' });
      continue;
    }
    if ('env' in source) {
      const fromEnv = process.env[source.env];
      if (fromEnv) secrets.push((config[key] = fromEnv));
      else missing.push({ key, reason: `environment variable ${source.env} is not set` });
      continue;
    }
    const file = isAbsolute(source.file) ? source.file : join(baseDir, source.file);
    const fromFile = await readInputFile(file, 'secret file', inputLimits.secretBytes).then(
      ({ text }) => text.replace(/\r?\n$/, ''),
      () => '',
    );
    if (fromFile) secrets.push((config[key] = fromFile));
    else missing.push({ key, reason: `credential file ${source.file} is missing or empty` });
  }
  return { config, missing, secrets };
}

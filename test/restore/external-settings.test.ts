import { describe, expect, it } from 'vitest';
import { connectorsAsRestored, isolation, pluginClassNamed, withOverrides } from '../../src/restore/connectors.js';
import type { Connector, Snapshot } from '../../src/snapshot/schema.js';
import { externalSettingRule, externalSettings, isKnownConnectorClass, replacementProblem } from '../../src/drill-spec/external-settings.js';
import { placeholdersIn, resolvePlaceholders, unknownPlaceholders } from '../../src/drill-spec/placeholders.js';

const fileSource: Connector = {
  name: 'lines-source',
  type: 'source',
  config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', file: '/var/lib/orders/lines.txt', topic: 'lines', 'tasks.max': '1' },
  tasks: 1,
  state: 'RUNNING',
  offsets: [{ partition: { filename: '/var/lib/orders/lines.txt' }, offset: { position: 86 } }],
};

describe('settings that name an external system', () => {
  it.each([
    ['file', 'file'],
    ['connection.url', 'connection.url'],
    ['url', '*.url'],
    ['http.api.url', '*.url'],
    ['key.converter.schema.registry.url', '*.url'],
    ['connection.uri', '*.uri'],
    ['es.urls', '*.urls'],
    ['cassandra.hosts', '*.hosts'],
    ['s3.endpoint', '*.endpoint'],
    ['elastic.host', '*.host'],
    ['database.hostname', '*.hostname'],
    ['mongodb.connection.string', '*.connection.string'],
    ['consumer.override.bootstrap.servers', '*.bootstrap.servers'],
    ['bootstrap.servers', 'bootstrap.servers'],
    ['target.cluster.bootstrap.servers', '*.bootstrap.servers'],
    ['topics.dir', '*.dir'],
    ['input.path', '*.path'],
    ['logs.directory', '*.directory'],
    ['gcs.bucket', '*.bucket'],
    ['s3.bucket.name', '*bucket.name'],
  ])('%s falls under %s', (key, pattern) => {
    expect(externalSettingRule(key)?.pattern).toBe(pattern);
  });

  it.each(['topics', 'tasks.max', 'connector.class', 'value.converter', 'insert.mode', 'filename', 'urls.enabled', 'profile', 'dirty', 'database.port', 'hostnames.enabled'])(
    '%s names nothing external',
    (key) => {
      expect(externalSettingRule(key)).toBeUndefined();
    },
  );

  it('lists a config’s external settings in key order, redacted ones too, empty values not', () => {
    const found = externalSettings({ topic: 'x', file: '/data/in.txt', 'connection.url': { redacted: true }, 'store.url': '' });
    expect(found.map((setting) => setting.key)).toEqual(['connection.url', 'file']);
  });

  it('a path replacement is drill-owned only under ${drill.workDir}', () => {
    expect(replacementProblem('file', '${drill.workDir}/sink.txt')).toBeUndefined();
    expect(replacementProblem('topics.dir', '${drill.workDir}')).toBeUndefined();
    expect(replacementProblem('file', '/tmp/sink.txt')).toMatch(/under \$\{drill\.workDir\}/);
    expect(replacementProblem('file', '${drill.workDir}/../etc/passwd')).toMatch(/no "\.\." segments/);
    expect(replacementProblem('file', 'x${drill.workDir}/a')).toMatch(/a path under \$\{drill\.workDir\}/);
  });

  it('an address replacement is drill-owned only when it is exactly an address the drill provides, with an optional ?query', () => {
    expect(replacementProblem('connection.url', '${drill.postgres.jdbcUrl}')).toBeUndefined();
    expect(replacementProblem('connection.url', '${drill.postgres.jdbcUrl}?currentSchema=app')).toBeUndefined();
    expect(replacementProblem('connection.url', 'jdbc:postgresql://127.0.0.1:5432/app')).toMatch(/must be exactly an address the drill provides \(\$\{drill\.postgres\.jdbcUrl\}/);
    expect(replacementProblem('http.api.url', 'http://prod.example.com/${drill.workDir}')).toMatch(/must be exactly an address/);
    // Starts with a drill value, then names production.
    expect(replacementProblem('bootstrap.servers', '${drill.postgres.user},prod-kafka:9092')).toMatch(/must be exactly an address/);
    expect(replacementProblem('connection.url', '${drill.postgres.jdbcUrl},prod-db:5432')).toMatch(/must be exactly an address/);
    expect(replacementProblem('connection.url', '${drill.postgres.jdbcUrl}/../prod')).toMatch(/must be exactly an address/);
    // User and password are not addresses; nor is the work dir.
    expect(replacementProblem('connection.url', '${drill.postgres.user}')).toMatch(/must be exactly an address/);
    expect(replacementProblem('connection.url', '${drill.postgres.password}')).toMatch(/must be exactly an address/);
    expect(replacementProblem('http.api.url', '${drill.workDir}')).toMatch(/must be exactly an address/);
    // No placeholder stands for another Kafka.
    expect(replacementProblem('target.cluster.bootstrap.servers', 'localhost:9092')).toMatch(/another Kafka included\): list the key in allowExternal/);
    // A setting that names nothing external may be replaced with anything.
    expect(replacementProblem('tasks.max', '3')).toBeUndefined();
  });
});

describe('which settings hold a connector back', () => {
  it('an external setting the spec does not replace holds it, with why', () => {
    const { held, allowed } = isolation(fileSource, undefined);
    expect(allowed).toEqual([]);
    expect(held).toEqual([{ key: 'file', why: expect.stringContaining('restore.connectors.lines-source.config does not replace it') }]);
  });

  it('a drill-owned replacement frees it; allowExternal lets it run against the captured store; a bad replacement still holds', () => {
    expect(isolation(fileSource, { config: { file: '${drill.workDir}/lines.txt' } }).held).toEqual([]);
    const allowed = isolation(fileSource, { allowExternal: ['file'] });
    expect([allowed.held, allowed.allowed.map((s) => s.key)]).toEqual([[], ['file']]);
    expect(isolation(fileSource, { config: { file: '/elsewhere/lines.txt' } }).held).toEqual([{ key: 'file', why: expect.stringMatching(/under \$\{drill\.workDir\}/) }]);
  });
});

describe('connector classes the drill does not know are held back', () => {
  const snowflake: Connector = {
    name: 'orders-snowflake',
    type: 'sink',
    // Names its store by settings no rule matches.
    config: { 'connector.class': 'com.snowflake.kafka.connector.SnowflakeSinkConnector', 'snowflake.url.name': 'acme.snowflakecomputing.com:443', topics: 'orders' },
    tasks: 1,
    state: 'RUNNING',
    offsets: [],
  };

  it.each([
    ['org.apache.kafka.connect.file.FileStreamSinkConnector', true],
    ['org.apache.kafka.connect.mirror.MirrorSourceConnector', true],
    ['io.debezium.connector.jdbc.JdbcSinkConnector', true],
    ['org.apache.kafka.connect.file.sub.OtherConnector', false],
    ['io.debezium.connector.postgresql.PostgresConnector', false],
    ['io.confluent.connect.jdbc.JdbcSinkConnector', false],
    ['com.wepay.kafka.connect.bigquery.BigQuerySinkConnector', false],
    ['FileStreamSink', false],
  ])('%s is known: %s', (className, known) => {
    expect(isKnownConnectorClass(className)).toBe(known);
  });

  it('an unknown class is held even with no setting a rule flags, with the reason; externalSettingsReviewed lets it run', () => {
    expect(externalSettings(snowflake.config)).toEqual([]);
    const { held, unknownClass } = isolation(snowflake, undefined);
    expect(held).toEqual([]);
    expect(unknownClass).toMatch(/^connector class com\.snowflake\.kafka\.connector\.SnowflakeSinkConnector: the drill does not know which of its settings name external systems/);
    expect(isolation(snowflake, { externalSettingsReviewed: true }).unknownClass).toBeUndefined();
  });

  it('a vouched-for class still needs each flagged setting replaced or allowed', () => {
    const s3 = { ...snowflake, config: { 'connector.class': 'io.confluent.connect.s3.S3SinkConnector', 's3.bucket.name': 'prod-orders' } };
    expect(isolation(s3, { externalSettingsReviewed: true }).held.map((setting) => setting.key)).toEqual(['s3.bucket.name']);
  });

  it('an alias names the one plugin it stands for on the workers; an ambiguous or unknown alias stays itself', () => {
    const plugins = [{ class: 'org.apache.kafka.connect.file.FileStreamSourceConnector' }, { class: 'io.debezium.connector.jdbc.JdbcSinkConnector' }];
    expect(pluginClassNamed('FileStreamSource', plugins)).toBe('org.apache.kafka.connect.file.FileStreamSourceConnector');
    expect(pluginClassNamed('JdbcSinkConnector', [...plugins, { class: 'io.confluent.connect.jdbc.JdbcSinkConnector' }])).toBe('JdbcSinkConnector');
    expect(
      isolation(
        { ...fileSource, config: { ...fileSource.config, 'connector.class': 'FileStreamSource' } },
        { config: { file: '${drill.workDir}/x' } },
        pluginClassNamed('FileStreamSource', plugins),
      ).unknownClass,
    ).toBeUndefined();
  });
});

describe('connectors as the drill restores them', () => {
  const snapshot = { connect: { workerVersion: '4.3.1', internalTopics: [], connectors: [fileSource] } } as unknown as Snapshot;
  const overrides = { 'lines-source': { config: { file: '${drill.workDir}/lines.txt' } } };

  it('replaces the setting and the offset partition that named its captured value; the snapshot is untouched', () => {
    const [restored] = connectorsAsRestored(snapshot, overrides, { 'drill.workDir': '/tmp/run-1' }).connect!.connectors;
    expect(restored!.config.file).toBe('/tmp/run-1/lines.txt');
    expect(restored!.offsets).toEqual([{ partition: { filename: '/tmp/run-1/lines.txt' }, offset: { position: 86 } }]);
    expect(fileSource.config.file).toBe('/var/lib/orders/lines.txt');
    // Applying it again changes nothing.
    expect(withOverrides(restored!, overrides['lines-source'], { 'drill.workDir': '/tmp/run-1' })).toEqual(restored);
  });

  it('renames offsets only for external settings: replacing tasks.max leaves an offset "1" alone', () => {
    const connector = { ...fileSource, offsets: [{ partition: { id: '1' }, offset: { position: 1 } }] };
    expect(withOverrides(connector, { config: { 'tasks.max': '2' } }, {}).offsets).toEqual(connector.offsets);
  });
});

describe('${drill.*} placeholders', () => {
  it('resolves drill placeholders deeply; Connect’s own ${provider:path:key} references stay', () => {
    const value = { a: '${drill.workDir}/x', b: ['${file:/etc/secrets.properties:pw}'], c: 3 };
    expect(resolvePlaceholders(value, { 'drill.workDir': '/tmp/run' })).toEqual({ a: '/tmp/run/x', b: ['${file:/etc/secrets.properties:pw}'], c: 3 });
    expect(value.a).toBe('${drill.workDir}/x');
  });

  it('names unknown ones, and refuses to resolve one without a value', () => {
    expect(placeholdersIn('${drill.workDir}/${drill.nope}')).toEqual(['drill.workDir', 'drill.nope']);
    expect(unknownPlaceholders('${drill.workDir}/${drill.nope}')).toEqual(['drill.nope']);
    expect(() => resolvePlaceholders('${drill.workDir}', {})).toThrow('${drill.workDir} has no value in this run');
  });
});

import { describe, expect, it } from 'vitest';
import { connectEndpointFromArgs } from '../../src/cli/snapshot.js';
import { isSecretConfigName, redactConnectorConfig } from '../../src/snapshot/capture-connect.js';
import { parsePluginCoordinates } from '../../src/runtime/plugins.js';

describe('connector config redaction', () => {
  it.each([
    'connection.password',
    'database.password',
    'aws.secret.access.key',
    'api.key',
    'ssl.key.password',
    'sasl.jaas.config',
    'oauth.token.endpoint.credentials',
    'client_secret',
    'auth.token',
  ])('%s is a secret', (name) => expect(isSecretConfigName(name)).toBe(true));

  it.each(['key.converter', 'key.converter.schemas.enable', 'primary.key.fields', 'primary.key.mode', 'topics', 'connection.url', 'file', 'insert.mode'])('%s is not', (name) =>
    expect(isSecretConfigName(name)).toBe(false),
  );

  it('redacts secret values, keeps ${...} references and plain values, and catches passwords inside values', () => {
    const stored = redactConnectorConfig({
      'connection.password': 'hunter2',
      'ref.password': '${file:/etc/secrets.properties:db.password}',
      'connection.url': 'jdbc:postgresql://db:5432/app?user=app&password=hunter2',
      'target.url': 'https://app:hunter2@example.com/x',
      'primary.key.fields': 'id',
      'empty.password': '',
    });
    expect(stored).toEqual({
      'connection.password': { redacted: true },
      'ref.password': '${file:/etc/secrets.properties:db.password}',
      'connection.url': { redacted: true },
      'target.url': { redacted: true },
      'primary.key.fields': 'id',
      'empty.password': '',
    });
    expect(JSON.stringify(stored)).not.toContain('hunter2');
  });
});

describe('connect CLI inputs', () => {
  it('parses --connect-header values and never echoes one in an error', () => {
    expect(connectEndpointFromArgs('http://127.0.0.1:8083', ['Authorization: Basic abc=', 'X-Team:  ops'])).toEqual({
      url: 'http://127.0.0.1:8083',
      headers: { Authorization: 'Basic abc=', 'X-Team': 'ops' },
    });
    expect(() => connectEndpointFromArgs('http://127.0.0.1:8083', ['Basic topsecret'])).toThrow(/expected 'Name: value'/);
    expect(() => connectEndpointFromArgs('http://127.0.0.1:8083', ['Basic topsecret'])).not.toThrow(/topsecret/);
    expect(() => connectEndpointFromArgs('127.0.0.1:8083', [])).toThrow(/--connect-url: expected http/);
    expect(() => connectEndpointFromArgs(undefined, ['A: b'])).toThrow(/--connect-header needs --connect-url/);
    expect(connectEndpointFromArgs(undefined, [])).toBeUndefined();
  });

  it('parses plugin coordinates with the plugin tarball as the default archive', () => {
    expect(parsePluginCoordinates('io.debezium:debezium-connector-jdbc:3.6.0.Final')).toEqual({
      groupId: 'io.debezium',
      artifactId: 'debezium-connector-jdbc',
      version: '3.6.0.Final',
      type: 'tar.gz',
      classifier: 'plugin',
    });
    expect(parsePluginCoordinates('g:a:1:zip:bin')).toMatchObject({ type: 'zip', classifier: 'bin' });
    expect(() => parsePluginCoordinates('debezium-connector-jdbc')).toThrow(/expected group:artifact:version/);
    expect(() => parsePluginCoordinates('g:a:1:jar')).toThrow(/archive type jar is not supported/);
  });
});

/**
 * The Java client properties file Kafka admins already have (`--command-config`), turned
 * into a KafkaConnection. Anything it cannot honour is refused with an InputError naming
 * the file and the key: a connection that silently drops TLS or falls back to another
 * mechanism would talk to the cluster differently from the tools the admin trusts.
 * No error ever contains a password.
 */
import { InputError } from '../errors.js';
import { inputLimits, readInputBytesSync, readInputFile } from '../input-file.js';
import type { KafkaConnection, SaslMechanism, TlsOptions } from './connection.js';
import { truststoreCertificates as readJavaTruststore } from './truststore.js';

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL', 'SSL'] as const;
type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const LOGIN_MODULES: Record<string, 'PLAIN' | 'SCRAM'> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': 'PLAIN',
  'org.apache.kafka.common.security.scram.ScramLoginModule': 'SCRAM',
};

/** Security keys this reader understands; any other ssl.*, sasl.* or security.* key is refused. */
const KNOWN_SECURITY_KEYS = new Set([
  'security.protocol',
  'sasl.mechanism',
  'sasl.jaas.config',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.certificates',
  'ssl.truststore.password',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.endpoint.identification.algorithm',
  'ssl.protocol',
  'ssl.enabled.protocols',
]);

/** Protocol versions Node negotiates by default, so naming them changes nothing. */
const DEFAULT_TLS_PROTOCOLS = new Set(['TLS', 'TLSv1.2', 'TLSv1.3']);

export interface CommandConfigOptions {
  /** From --bootstrap-server; wins over bootstrap.servers in the file. */
  bootstrap?: string[];
}

export async function loadCommandConfig(file: string, options: CommandConfigOptions = {}): Promise<KafkaConnection> {
  const { text } = await readInputFile(file, 'client properties', inputLimits.propertiesBytes);
  return commandConfigConnection(parseJavaProperties(text), file, options);
}

/** A connection from already-parsed properties; `file` is only used in error messages. */
export async function commandConfigConnection(properties: Map<string, string>, file: string, options: CommandConfigOptions = {}): Promise<KafkaConnection> {
  const refuse = (key: string, message: string): never => {
    throw new InputError(`${file}: ${key}: ${message}`);
  };
  const get = (key: string): string | undefined => {
    const value = properties.get(key)?.trim();
    return value === '' ? undefined : value;
  };

  for (const key of properties.keys()) {
    if (/^(ssl|sasl|security)\./.test(key) && !KNOWN_SECURITY_KEYS.has(key)) refuse(key, 'is not supported by kafka-drill (remove it or connect without it)');
  }

  const bootstrap = options.bootstrap?.length ? options.bootstrap : splitList(get('bootstrap.servers'));
  if (bootstrap.length === 0) refuse('bootstrap.servers', 'not set (pass --bootstrap-server HOST:PORT or set it in the file)');

  const protocolText = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocolText)) {
    refuse('security.protocol', `${protocolText} is not supported (use ${SECURITY_PROTOCOLS.join(', ')})`);
  }
  const protocol = protocolText as SecurityProtocol;
  const usesSasl = protocol.startsWith('SASL_');
  const usesTls = protocol.endsWith('SSL');

  const connection: KafkaConnection = { bootstrap };
  const clientId = get('client.id');
  if (clientId) connection.clientId = clientId;

  if (usesSasl) {
    // Kafka's own default mechanism is GSSAPI, so a missing key is not PLAIN.
    const mechanism = get('sasl.mechanism') ?? 'GSSAPI';
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      refuse('sasl.mechanism', `${mechanism}${get('sasl.mechanism') ? '' : " (Kafka's default)"} is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)`);
    }
    const jaas = get('sasl.jaas.config') ?? refuse('sasl.jaas.config', `not set (${mechanism} needs username="..." password="...")`);
    connection.sasl = { mechanism: mechanism as SaslMechanism, ...parseJaasCredentials(jaas, mechanism as SaslMechanism, (message) => refuse('sasl.jaas.config', message)) };
  } else {
    for (const key of ['sasl.mechanism', 'sasl.jaas.config']) if (get(key)) refuse(key, `is set but security.protocol is ${protocol} (no SASL)`);
  }

  if (usesTls) connection.tls = await tlsOptions(properties, get, refuse, file);
  else {
    for (const key of KNOWN_SECURITY_KEYS) {
      if (key.startsWith('ssl.') && key !== 'ssl.endpoint.identification.algorithm' && get(key)) refuse(key, `is set but security.protocol is ${protocol} (no TLS)`);
    }
  }
  return connection;
}

type Get = (key: string) => string | undefined;
type Refuse = (key: string, message: string) => never;

async function tlsOptions(properties: Map<string, string>, get: Get, refuse: Refuse, file: string): Promise<TlsOptions> {
  const tls: TlsOptions = {};
  // A store the properties name is read under the same caps as any input: a FIFO or /dev/zero there is refused, never waited on.
  const readPem = async (location: string, key: string): Promise<string> => {
    const { text } = await readInputFile(location, 'PEM file', inputLimits.keyBytes, `${file}: ${key}`);
    if (!text.includes('-----BEGIN ')) refuse(key, `${location} is not a PEM file (no -----BEGIN line)`);
    return text;
  };

  // An unset type means JKS in Java, whatever the file is called.
  const truststoreType = (get('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const truststoreLocation = get('ssl.truststore.location');
  const truststoreCertificates = get('ssl.truststore.certificates');
  const truststorePassword = properties.get('ssl.truststore.password');
  if (truststoreLocation || truststoreCertificates) {
    if (truststoreLocation && truststoreCertificates) refuse('ssl.truststore.certificates', 'set together with ssl.truststore.location (keep one)');
    if (truststoreType === 'PEM') {
      if (truststorePassword !== undefined) refuse('ssl.truststore.password', 'Kafka refuses a password for a PEM truststore (remove it)');
      tls.ca = truststoreCertificates ?? (await readPem(truststoreLocation!, 'ssl.truststore.location'));
    } else if (truststoreType === 'JKS' || truststoreType === 'PKCS12') {
      if (!truststoreLocation) refuse('ssl.truststore.certificates', `needs ssl.truststore.type=PEM (the type is ${truststoreType})`);
      const store = readInputBytesSync(truststoreLocation!, `${truststoreType} truststore`, inputLimits.keyBytes, `${file}: ssl.truststore.location`);
      tls.ca = await readJavaTruststore(store, truststoreType, truststorePassword).catch((error: Error) =>
        refuse('ssl.truststore.location', `cannot read the ${truststoreType} truststore ${truststoreLocation}: ${error.message}`),
      );
    } else refuse('ssl.truststore.type', `${truststoreType} truststores are not supported (use PEM, JKS or PKCS12)`);
  } else if (truststorePassword !== undefined) refuse('ssl.truststore.password', 'set without ssl.truststore.location');

  const keystoreType = (get('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const keystoreLocation = get('ssl.keystore.location');
  const keystoreKey = get('ssl.keystore.key');
  const keystoreChain = get('ssl.keystore.certificate.chain');
  if (keystoreLocation || keystoreKey || keystoreChain) {
    if (keystoreType !== 'PEM') refuse('ssl.keystore.type', `${keystoreType} keystores are not supported (convert it to PEM and set ssl.keystore.type=PEM)`);
    if (keystoreLocation) {
      if (keystoreKey || keystoreChain) refuse('ssl.keystore.location', 'set together with ssl.keystore.key / ssl.keystore.certificate.chain (keep one form)');
      // A PEM keystore file holds the private key and the certificate chain; Node picks each out of it.
      const pem = await readPem(keystoreLocation, 'ssl.keystore.location');
      tls.key = pem;
      tls.cert = pem;
    } else {
      if (!keystoreKey) refuse('ssl.keystore.key', 'not set (ssl.keystore.certificate.chain needs its private key)');
      if (!keystoreChain) refuse('ssl.keystore.certificate.chain', 'not set (ssl.keystore.key needs its certificate chain)');
      tls.key = keystoreKey;
      tls.cert = keystoreChain;
    }
    if (/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(tls.key ?? '')) {
      refuse(keystoreLocation ? 'ssl.keystore.location' : 'ssl.keystore.key', 'encrypted private keys are not supported (use an unencrypted PEM key)');
    }
  }

  // Java's default is "https" (verify the hostname). Turning it off only for hostnames is not
  // something the connection description can express, and turning off all verification would
  // be a silent downgrade, so it is refused.
  const identification = get('ssl.endpoint.identification.algorithm');
  if (properties.get('ssl.endpoint.identification.algorithm')?.trim() === '') {
    refuse('ssl.endpoint.identification.algorithm', 'an empty value (no hostname verification) is not supported: use a certificate that names the broker host');
  }
  if (identification !== undefined && identification.toLowerCase() !== 'https') {
    refuse('ssl.endpoint.identification.algorithm', `${identification} is not supported (use https)`);
  }

  for (const key of ['ssl.protocol', 'ssl.enabled.protocols']) {
    for (const name of splitList(get(key))) {
      if (!DEFAULT_TLS_PROTOCOLS.has(name)) refuse(key, `${name} is not supported (kafka-drill negotiates TLSv1.2 or TLSv1.3)`);
    }
  }
  return tls;
}

/**
 * username and password from a PlainLoginModule or ScramLoginModule JAAS entry, e.g.
 * `org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="…";`
 */
export function parseJaasCredentials(jaas: string, mechanism: SaslMechanism, refuse: (message: string) => never): { username: string; password: string } {
  const head = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b/.exec(jaas);
  if (!head) return refuse('expected "<LoginModule class> required username=\\"...\\" password=\\"...\\";"');
  const moduleClass = head[1]!;
  const family = LOGIN_MODULES[moduleClass];
  if (!family) return refuse(`login module ${moduleClass} is not supported (use PlainLoginModule or ScramLoginModule)`);
  const expectedFamily = mechanism === 'PLAIN' ? 'PLAIN' : 'SCRAM';
  if (family !== expectedFamily) return refuse(`login module ${moduleClass} does not match sasl.mechanism ${mechanism}`);

  const options = new Map<string, string>();
  const optionPattern = /([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/gy;
  let rest = jaas.slice(head[0].length);
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest === '' || rest.startsWith(';')) break;
    optionPattern.lastIndex = 0;
    const match = optionPattern.exec(rest);
    // The text is not quoted back: it may hold the password.
    if (!match) return refuse('cannot read the login module options (expected key="value" pairs ending with ";")');
    options.set(match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!);
    rest = rest.slice(match[0].length);
  }
  const username = options.get('username');
  const password = options.get('password');
  if (!username) return refuse('has no username="..."');
  if (password === undefined) return refuse('has no password="..."');
  return { username, password };
}

/**
 * java.util.Properties text: `key=value`, `key: value` or `key value`, `#`/`!` comments,
 * backslash line continuations and escapes (\t \n \uXXXX …). Later keys win, as in Java.
 */
export function parseJavaProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  const physical = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < physical.length; index++) {
    let line = physical[index]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithContinuation(line) && index + 1 < physical.length) {
      line = line.slice(0, -1) + physical[++index]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    const { key, value } = splitKeyValue(line);
    properties.set(unescape(key), unescape(value));
  }
  return properties;
}

/** The key ends at the first unescaped `=`, `:` or whitespace; one `=`/`:` and the spaces around it separate. */
function splitKeyValue(line: string): { key: string; value: string } {
  let end = 0;
  while (end < line.length && !/[=:\s]/.test(line[end]!)) end += line[end] === '\\' ? 2 : 1;
  const key = line.slice(0, end);
  const value = line.slice(end).replace(/^\s*[=:]?\s*/, '');
  return { key, value };
}

function endsWithContinuation(line: string): boolean {
  const trailing = /\\+$/.exec(line)?.[0].length ?? 0;
  return trailing % 2 === 1;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return { t: '\t', n: '\n', r: '\r', f: '\f' }[escaped] ?? escaped;
  });
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

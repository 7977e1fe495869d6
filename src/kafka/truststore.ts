import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { javaBinary } from '../runtime/java.js';

/**
 * The certificates of a Java truststore (JKS or PKCS12, its bytes as read by the caller) as PEM
 * text, read with the JDK's keytool (already needed for Kafka) from a private copy, so keytool
 * never opens the file a user named. The store password reaches keytool through a file of mode 0600 that
 * is removed right after, never on its command line. Rejects with keytool's own last line.
 */
export async function truststoreCertificates(store: Uint8Array, type: 'JKS' | 'PKCS12', password: string | undefined): Promise<string> {
  const keytool = process.env.JAVA_HOME ? join(dirname(javaBinary()), 'keytool') : 'keytool';
  const dir = await mkdtemp(join(tmpdir(), 'kafka-drill-truststore-'));
  try {
    const file = join(dir, 'truststore');
    await writeFile(file, store, { mode: 0o600 });
    const passwordArgs: string[] = [];
    if (password !== undefined) {
      const passwordFile = join(dir, 'password');
      await writeFile(passwordFile, password, { mode: 0o600 });
      passwordArgs.push('-storepass:file', passwordFile);
    }
    // Without a password keytool asks for one; an empty answer lists a JKS store unverified.
    const listed = await execa(keytool, ['-list', '-rfc', '-keystore', file, '-storetype', type, ...passwordArgs], { reject: false, all: true, input: '\n' });
    const pems = (listed.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => `${pem}\n`);
    if (listed.exitCode !== 0 || pems.length === 0) {
      const why = (listed.all ?? '').trim().split('\n').filter(Boolean).at(-1) ?? `keytool exited with ${listed.exitCode}`;
      throw new Error(pems.length === 0 && listed.exitCode === 0 ? 'the truststore holds no certificate' : why);
    }
    return pems.join('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

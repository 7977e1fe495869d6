import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDistribution } from '../runtime/distribution.js';
import { javaBinary } from '../runtime/java.js';
import type { AclBinding } from './acls.js';
import { compileRunner } from './java-client.js';

/**
 * Kafka's StandardAuthorizer as an oracle for kafka-drill's ACL model: AuthorizerRunner.java,
 * compiled against a cached Kafka version's jars, answers every question of every case in ONE
 * JVM. A question without `name` asks authorizeByResourceType (e.g. WRITE on some TOPIC).
 */
export interface AuthorizerQuestion {
  principal: string;
  host: string;
  operation: string;
  resourceType: string;
  name?: string;
}

export interface AuthorizerCase {
  acls: readonly AclBinding[];
  questions: readonly AuthorizerQuestion[];
}

export interface AuthorizerAnswers {
  kafkaVersion: string;
  /** Per case, per question: true when Kafka's authorizer answers ALLOWED. */
  cases: boolean[][];
  jvmMs: number;
}

export async function askKafkaAuthorizer(kafkaVersion: string, cases: readonly AuthorizerCase[], options: { timeoutMs?: number } = {}): Promise<AuthorizerAnswers> {
  const { classes } = await compileRunner(kafkaVersion, 'AuthorizerRunner');
  const distribution = await resolveDistribution(kafkaVersion);
  const dir = await mkdtemp(join(tmpdir(), 'kafka-drill-authorizer-'));
  try {
    const job = join(dir, 'job.json');
    const out = join(dir, 'answers.json');
    await writeFile(job, JSON.stringify({ cases }));
    const started = performance.now();
    const run = await execa(
      javaBinary(),
      ['-Xmx256m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=off', '-cp', `${distribution.libsDir}/*:${classes}`, 'AuthorizerRunner', job, out],
      {
        reject: false,
        timeout: options.timeoutMs ?? 120_000,
      },
    );
    const jvmMs = Math.round(performance.now() - started);
    if (run.exitCode !== 0) {
      const why = run.timedOut ? 'timed out' : `exit ${run.exitCode ?? run.signal}: ${run.stderr.split('\n').slice(0, 5).join(' ')}`;
      throw new Error(`Kafka's authorizer (AuthorizerRunner, Kafka ${kafkaVersion}) failed: ${why}`);
    }
    const parsed = JSON.parse(await readFile(out, 'utf8')) as { kafkaVersion: string; cases: string[][] };
    return { kafkaVersion: parsed.kafkaVersion, cases: parsed.cases.map((answers) => answers.map((answer) => answer === 'ALLOWED')), jvmMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

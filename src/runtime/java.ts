import { execa } from 'execa';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';

/** The java binary to run Kafka with: $JAVA_HOME/bin/java when set, else java on PATH. */
export function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

let checkedJava: Promise<number> | undefined;

/** Fails with a one-line error when java is missing or older than 17 (Kafka 4.x brokers, Connect and tools need 17+). */
export function requireJava(): Promise<number> {
  checkedJava ??= (async () => {
    const java = javaBinary();
    let output: string;
    try {
      const result = await execa(java, ['-version'], { reject: true });
      output = result.stderr || result.stdout;
    } catch {
      checkedJava = undefined;
      throw new InfrastructureError(`java not found (${java}): install a JDK 17 or newer (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`);
    }
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
    const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0;
    if (major < 17) {
      checkedJava = undefined;
      throw new InfrastructureError(`${java} is Java ${major || 'of unknown version'}; kafka-drill needs Java 17 or newer (set JAVA_HOME)`);
    }
    return major;
  })();
  return checkedJava;
}

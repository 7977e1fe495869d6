// How an automated step reaches the drill's environment as its admin: from the bootstrap and the
// client properties the drill hands every automated step (KAFKA_DRILL_BOOTSTRAP,
// KAFKA_DRILL_COMMAND_CONFIG). Imported by the scripts beside it (a path relative to this file,
// so it resolves whatever folder a step runs in).
import { readFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';

/** The bootstrap brokers, and the SASL login (mechanism as the properties name it) when there is one. */
export function drillLogin() {
  const properties = readFileSync(process.env.KAFKA_DRILL_COMMAND_CONFIG, 'utf8');
  const jaas = /username="([^"]*)" password="([^"]*)"/.exec(properties);
  const mechanism = /sasl\.mechanism=(\S+)/.exec(properties)?.[1];
  return {
    brokers: process.env.KAFKA_DRILL_BOOTSTRAP.split(','),
    ...(jaas ? { sasl: { mechanism, username: jaas[1], password: jaas[2] } } : {}),
  };
}

/** A @platformatic/kafka admin client logged in as the drill's admin. */
export function drillAdmin(clientId) {
  const { brokers, sasl } = drillLogin();
  return new Admin({ clientId, bootstrapBrokers: brokers, ...(sasl ? { sasl } : {}) });
}

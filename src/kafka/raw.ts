import { protocolErrorsCodesById, type Admin, type Connection } from '@platformatic/kafka';

/**
 * Helpers for @platformatic/kafka's low-level typed APIs, used where the Admin class has no
 * call (SCRAM) or hides per-object errors behind one exception (CreateTopics, CreateAcls, ...).
 */

/** A connection to the active controller if it is a broker we can reach, else to any broker (KRaft forwards). */
export async function brokerConnection(admin: Admin): Promise<Connection> {
  const metadata = await admin.metadata({ topics: [] });
  const nodeId = metadata.brokers.has(metadata.controllerId) ? metadata.controllerId : [...metadata.brokers.keys()][0]!;
  const connections = await admin.connectToBrokers([nodeId]);
  return connections.get(nodeId)!;
}

/**
 * Runs a low-level call and returns its response even when some objects in it failed:
 * the library throws a ResponseError carrying the whole response; per-object error codes
 * stay in it for the caller to turn into findings.
 */
export async function withPerObjectErrors<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const response = (error as { response?: unknown }).response;
    if (response && typeof response === 'object') return response as T;
    throw error;
  }
}

export function errorName(code: number): string {
  return protocolErrorsCodesById[code] ?? `ERROR_CODE_${code}`;
}

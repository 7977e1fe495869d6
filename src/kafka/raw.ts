import { protocolErrorsCodesById, type Admin, type Connection } from '@platformatic/kafka';

/**
 * Helpers for @platformatic/kafka's low-level typed APIs, used where the Admin class has no
 * call (SCRAM) or hides per-object errors behind one exception (CreateTopics, CreateAcls, ...).
 */

/** A connection to the active controller if it is a broker we can reach, else to any broker (KRaft forwards). */
export async function brokerConnection(admin: Admin): Promise<Connection> {
  const metadata = await admin.metadata({ topics: [] });
  const nodeId = metadata.brokers.has(metadata.controllerId) ? metadata.controllerId : [...metadata.brokers.keys()][0]!;
  return connectionTo(admin, nodeId);
}

/**
 * A connection to each of `brokerIds`. The library leaves out, without a word, a broker the
 * cluster's metadata no longer lists (one that died); this names it instead.
 */
export async function connectionsTo(admin: Admin, brokerIds: number[]): Promise<Map<number, Connection>> {
  const connections = await admin.connectToBrokers(brokerIds);
  const missing = [...new Set(brokerIds)].filter((id) => !connections.has(id));
  if (missing.length > 0) {
    const listed = [...(await admin.metadata({ topics: [] })).brokers.keys()].sort((a, b) => a - b);
    throw new Error(`broker ${missing.join(', ')} is not in the cluster's metadata (it lists ${listed.join(', ') || 'none'}): is it running?`);
  }
  return connections;
}

export async function connectionTo(admin: Admin, brokerId: number): Promise<Connection> {
  return (await connectionsTo(admin, [brokerId])).get(brokerId)!;
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

type ResponseReader = Parameters<Parameters<Connection['send']>[3]>[3];

/** A low-level API module of @platformatic/kafka, e.g. `createAclsV3`. */
interface LowLevelApi<Args extends unknown[], Response> {
  api: { key: number; version: number; async: (connection: Connection, ...args: Args) => Promise<Response> };
  createRequest: (...args: Args) => ReturnType<Parameters<Connection['send']>[2]>;
  parseResponse: (correlationId: number, apiKey: number, apiVersion: number, reader: ResponseReader) => Response;
}

/**
 * Like `withPerObjectErrors(module.api.async(connection, ...args))`, without the cost of the
 * library's error objects: its parser throws a ResponseError holding one Error per refused object,
 * which for a retried or chunked request means thousands of captured stack traces nobody reads.
 * The parser runs synchronously, so stack capture is off only for that moment.
 */
export function sendForResponse<Args extends unknown[], Response>(connection: Connection, module: LowLevelApi<Args, Response>, ...args: Args): Promise<Response> {
  const parseQuietly = (correlationId: number, apiKey: number, apiVersion: number, reader: ResponseReader): Response => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return module.parseResponse(correlationId, apiKey, apiVersion, reader);
    } catch (error) {
      const response = (error as { response?: unknown }).response;
      if (response && typeof response === 'object') return response as Response;
      throw error;
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  return new Promise((resolve, reject) => {
    connection.send(
      module.api.key,
      module.api.version,
      () => module.createRequest(...args),
      parseQuietly,
      true,
      true,
      (error, response) => (error ? reject(error) : resolve(response as Response)),
    );
  });
}

export function errorName(code: number): string {
  return protocolErrorsCodesById[code] ?? `ERROR_CODE_${code}`;
}

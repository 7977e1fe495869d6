/**
 * Counts the requests one client sends, by API name, from @platformatic/kafka's diagnostics
 * channel. Capture reports it so "one round trip per kind of object" is measured, not assumed.
 */
import { protocolAPIsById, type Admin } from '@platformatic/kafka';
import { tracingChannel } from 'node:diagnostics_channel';

export interface RequestCounter {
  /** API name → requests sent so far (ApiVersions and SASL handshakes included). */
  counts(): Record<string, number>;
  stop(): void;
}

export function countRequests(admin: Admin): RequestCounter {
  const counts = new Map<string, number>();
  const channel = tracingChannel<unknown, { apiKey: number; connection: { ownerId?: number } }>('plt:kafka:connections:api');
  const handlers = {
    start(message: { apiKey: number; connection: { ownerId?: number } }) {
      if (message.connection?.ownerId !== admin.instanceId) return;
      const name = protocolAPIsById[message.apiKey] ?? `api ${message.apiKey}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    },
  };
  channel.subscribe(handlers as never);
  return {
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    stop: () => channel.unsubscribe(handlers as never),
  };
}

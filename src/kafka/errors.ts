/**
 * Kafka's own error name (e.g. TOPIC_AUTHORIZATION_FAILED) from whatever a client library threw.
 * @platformatic/kafka nests the protocol error under network/multiple errors; kafkajs puts it in
 * `type`. Probes and restore findings report this name, not a library's wrapper message.
 */
export function kafkaErrorName(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (candidate: unknown): string | undefined => {
    if (!candidate || typeof candidate !== 'object' || seen.has(candidate)) return undefined;
    seen.add(candidate);
    const value = candidate as { apiId?: unknown; type?: unknown; errors?: unknown; cause?: unknown; originalError?: unknown; name?: unknown };
    if (typeof value.apiId === 'string' && /^[A-Z_]+$/.test(value.apiId)) return value.apiId;
    if (typeof value.type === 'string' && /^[A-Z_]+$/.test(value.type)) return value.type;
    // kafkajs reports a failed SASL handshake as KafkaJSSASLAuthenticationError without a type.
    if (value.name === 'KafkaJSSASLAuthenticationError') return 'SASL_AUTHENTICATION_FAILED';
    for (const nested of [...(Array.isArray(value.errors) ? value.errors : []), value.cause, value.originalError]) {
      const found = visit(nested);
      if (found) return found;
    }
    return undefined;
  };
  return visit(error);
}

// Deletes a restored sink connector's offsets, as a runbook that recreates the connector from
// scratch would: the sink starts again from the log start and delivers what it had delivered.
// Waits until the sink has replayed up to where it was, so its offsets end where they were
// restored: verify sees nothing, only the sink's store holds the replay.
// Used by sink-replay.yaml.   node reset-sink-offsets.mjs CONNECTOR
const [name] = process.argv.slice(2);
const url = `${process.env.KAFKA_DRILL_CONNECT_URL}/connectors/${encodeURIComponent(name)}`;
const call = async (method, path = '') => {
  const response = await fetch(`${url}${path}`, { method });
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 || response.status === 202 ? undefined : response.json().catch(() => undefined);
};
const normal = (body) => JSON.stringify((body?.offsets ?? []).map((entry) => JSON.stringify(entry)).sort());
const restored = normal(await call('GET', '/offsets'));
await call('PUT', '/stop');
const deadline = Date.now() + 60_000;
while ((await call('GET', '/status'))?.connector?.state !== 'STOPPED') {
  if (Date.now() > deadline) throw new Error(`${name} did not stop`);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
// Right after a stop the worker may not accept the reset yet.
for (;;) {
  const response = await fetch(`${url}/offsets`, { method: 'DELETE' });
  if (response.ok) break;
  if (Date.now() > deadline) throw new Error(`DELETE /offsets: HTTP ${response.status} ${await response.text()}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await call('PUT', '/resume');
const replayed = Date.now() + 120_000;
while (normal(await call('GET', '/offsets')) !== restored) {
  if (Date.now() > replayed) throw new Error(`${name} did not get back to its restored offsets ${restored}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
console.log(`${name}: offsets deleted, resumed, replayed back to its restored offsets`);

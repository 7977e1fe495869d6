// Puts back what the FileStream connectors' files held at snapshot time — in a real recovery
// these stores outlive the Kafka cluster — as drill-owned copies in this run's directory
// (KAFKA_DRILL_WORK_DIR), the files the spec's restore.connectors points the connectors at:
// - a source's input file: as many bytes as its restored position, so it reads on from there;
// - a sink's output file: the last 100 records it had delivered before its offsets (the values
//   the synthetic data carries), so a sink that delivers any of them again writes a duplicate.
// The snapshot's own paths (production's files) are never touched.
//   node seed-file-stores.mjs SNAPSHOT CONNECTOR=FILE...   (FILE relative to the run's directory)
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const DELIVERED = 100;
const workDir = process.env.KAFKA_DRILL_WORK_DIR;
const [snapshotFile, ...pairs] = process.argv.slice(2);
const snapshot = JSON.parse(await readFile(snapshotFile, 'utf8'));
const files = new Map(
  pairs.map((pair) => {
    const [name, file] = pair.split('=');
    const inRun = path.resolve(workDir, file);
    if (!inRun.startsWith(`${path.resolve(workDir)}${path.sep}`)) throw new Error(`${pair}: the file must be inside the run's directory`);
    return [name, inRun];
  }),
);
const logStart = new Map(snapshot.topics.flatMap((t) => t.partitionOffsets.map((p) => [`${t.name}:${p.partition}`, p.logStartOffset])));

for (const connector of snapshot.connect?.connectors ?? []) {
  const file = files.get(connector.name);
  if (!file) continue;
  if (connector.config['connector.class'] === 'org.apache.kafka.connect.file.FileStreamSourceConnector') {
    const position = Number(connector.offsets[0]?.offset?.position ?? 0);
    // Written whole, then renamed: the source task must never open a shorter file.
    await writeFile(`${file}.seed`, position > 0 ? `${'#'.repeat(position - 1)}\n` : '');
    await rename(`${file}.seed`, file);
    console.log(`${connector.name}: ${path.basename(file)} holds the ${position} bytes it had read`);
  } else if (connector.config['connector.class'] === 'org.apache.kafka.connect.file.FileStreamSinkConnector') {
    const lines = [];
    for (const { partition, offset } of connector.offsets) {
      const { kafka_topic: topic, kafka_partition: p } = partition;
      const end = offset.kafka_offset;
      for (let source = Math.max(logStart.get(`${topic}:${p}`) ?? 0, end - DELIVERED); source < end; source++) {
        lines.push(JSON.stringify({ synthetic: true, topic, partition: p, sourceOffset: source }));
      }
    }
    await appendFile(file, lines.map((line) => `${line}\n`).join(''));
    console.log(`${connector.name}: ${path.basename(file)} holds the ${lines.length} records it had delivered last`);
  }
}

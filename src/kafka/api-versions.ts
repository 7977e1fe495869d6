/**
 * Which Kafka release line a broker runs, told from its ApiVersions answer. Kafka has no
 * "version" request, but every release line raises some API's maximum version. The table
 * was measured against 3.9.2, 4.0.2, 4.1.2, 4.2.1, 4.3.1 and 4.4.0 (ApiVersions v3 to one
 * broker of each); a broker that matches none of them exactly — a newer line, or one with
 * unstable API versions enabled — is "unknown" rather than a guess.
 */
import { connectionTo } from './raw.js';
import { apiVersionsV3, type Admin } from '@platformatic/kafka';

/** API key → the maximum version each release line answers with. */
const DISTINGUISHING_APIS = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  OffsetFetch: 9,
  DescribeLogDirs: 35,
  DeleteGroups: 42,
  AlterPartitionReassignments: 45,
  ApiVersions: 18,
} as const;

const RELEASE_LINES: { line: string; maxVersions: Record<keyof typeof DISTINGUISHING_APIS, number> }[] = [
  { line: '3.9', maxVersions: { Produce: 11, Fetch: 17, ListOffsets: 9, OffsetFetch: 9, DescribeLogDirs: 4, DeleteGroups: 2, AlterPartitionReassignments: 0, ApiVersions: 4 } },
  { line: '4.0', maxVersions: { Produce: 12, Fetch: 17, ListOffsets: 10, OffsetFetch: 9, DescribeLogDirs: 4, DeleteGroups: 2, AlterPartitionReassignments: 0, ApiVersions: 4 } },
  { line: '4.1', maxVersions: { Produce: 13, Fetch: 18, ListOffsets: 10, OffsetFetch: 9, DescribeLogDirs: 4, DeleteGroups: 2, AlterPartitionReassignments: 1, ApiVersions: 4 } },
  { line: '4.2', maxVersions: { Produce: 13, Fetch: 18, ListOffsets: 11, OffsetFetch: 10, DescribeLogDirs: 4, DeleteGroups: 2, AlterPartitionReassignments: 1, ApiVersions: 4 } },
  { line: '4.3', maxVersions: { Produce: 13, Fetch: 18, ListOffsets: 11, OffsetFetch: 10, DescribeLogDirs: 5, DeleteGroups: 2, AlterPartitionReassignments: 1, ApiVersions: 4 } },
  { line: '4.4', maxVersions: { Produce: 13, Fetch: 18, ListOffsets: 11, OffsetFetch: 10, DescribeLogDirs: 5, DeleteGroups: 3, AlterPartitionReassignments: 1, ApiVersions: 5 } },
];

/** API key → max version, as one broker answered ApiVersions. */
export async function describeApiVersions(admin: Admin, brokerId: number): Promise<Map<number, number>> {
  const connection = await connectionTo(admin, brokerId);
  const response = await apiVersionsV3.api.async(connection, 'kafka-drill', '1');
  return new Map(response.apiKeys.map((api) => [api.apiKey, api.maxVersion]));
}

/** "4.3" (a release line, not a patch release), or "unknown". */
export function kafkaVersionFromApiVersions(maxVersions: Map<number, number>): string {
  const match = RELEASE_LINES.find(({ maxVersions: expected }) =>
    Object.entries(DISTINGUISHING_APIS).every(([name, apiKey]) => maxVersions.get(apiKey) === expected[name as keyof typeof DISTINGUISHING_APIS]),
  );
  return match?.line ?? 'unknown';
}

/**
 * What the brokers themselves recorded during the run, as report.html shows it: the denials in
 * their authorizer logs (reconciled with the authorization probe) and the metrics scraped from
 * their JMX exporter, under the names operators' dashboards use.
 */
import type { Run } from '../model/result.js';

const DENIALS_LISTED = 50;

export function brokerView(run: Run) {
  const log = run.authorizerLog;
  const metrics = run.brokerMetrics;
  if (!log && !metrics) return null;
  const unexpected = log?.denials.filter((denial) => denial.accountedBy === 'unexpected') ?? [];
  const accounted = log?.denials.filter((denial) => denial.accountedBy === 'authorization-probe') ?? [];
  const row = (denial: NonNullable<Run['authorizerLog']>['denials'][number]) => ({
    ...denial,
    resource: `${denial.resourceType} ${denial.resourceName}`,
    brokers: denial.brokers.join(', '),
  });
  return {
    denials: log
      ? {
          files: log.files.length,
          expected: `${log.expectedDenials.logged} of ${log.expectedDenials.total} denial(s) the authorization probe expected are in the brokers' logs${log.expectedDenials.notLogged.length ? `; not logged: ${log.expectedDenials.notLogged.join('; ')}` : ''}`,
          unexpected: unexpected.slice(0, DENIALS_LISTED).map(row),
          unexpectedMore: Math.max(0, unexpected.length - DENIALS_LISTED),
          accounted: accounted.length,
        }
      : null,
    metrics: metrics
      ? {
          agent: metrics.agent,
          targets: metrics.targets.map((target) => ({
            process: target.process,
            error: target.error ?? null,
            samples: target.samples.map((sample) => ({
              name: sample.name,
              labels: Object.entries(sample.labels)
                .map(([key, value]) => `${key}="${value}"`)
                .join(', '),
              value: sample.value,
            })),
          })),
        }
      : null,
  };
}

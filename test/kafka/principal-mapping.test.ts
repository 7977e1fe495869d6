import { describe, expect, it } from 'vitest';
import { renderDistinguishedName } from '../../src/kafka/distinguished-name.js';
import { drillAdminNames, parseMappingRules, principalNameOf, subjectForPrincipal } from '../../src/kafka/principal-mapping.js';
import { mtlsSnapshot } from '../../fixtures/make-tls-snapshots.js';
import { snapshotMappingRules } from '../../src/snapshot/schema.js';

// Examples from Kafka's documentation of ssl.principal.mapping.rules.
const KAFKA_DOC_RULES = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT';

describe('ssl.principal.mapping.rules', () => {
  it("maps subjects as Kafka's documentation says", () => {
    const rules = parseMappingRules(KAFKA_DOC_RULES)!;
    expect(rules).toHaveLength(4);
    expect(principalNameOf(rules, 'CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('serviceuser');
    expect(principalNameOf(rules, 'CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('adminuser@admin');
    expect(principalNameOf(rules, 'CN=Kafka-Broker.Example,O=X')).toBe('kafka');
    expect(principalNameOf(parseMappingRules('DEFAULT')!, 'CN=a,O=b')).toBe('CN=a,O=b');
  });

  it('refuses a subject no rule applies to, and rules it cannot parse', () => {
    expect(principalNameOf(parseMappingRules('RULE:^CN=(.*),OU=svc$/$1/')!, 'CN=a,OU=other')).toBeUndefined();
    expect(parseMappingRules('RULE:^CN=(.*$/$1/')).toBeUndefined();
  });

  it('finds a subject that maps to each principal, checked forward through the rules', () => {
    const rules = parseMappingRules('RULE:^CN=([a-zA-Z0-9.-]*),OU=services,O=Example Corp$/$1/L,DEFAULT')!;
    const subjectOf = (name: string) => {
      const subject = subjectForPrincipal(rules, name);
      return subject && renderDistinguishedName(subject);
    };
    expect(subjectOf('ledger')).toBe('CN=ledger,OU=services,O=Example Corp');
    expect(subjectOf('CN=billing,OU=payments,O=Example Corp')).toBe('CN=billing,OU=payments,O=Example Corp');
    // Java never puts a space after a comma; the /L rule lowercases, and DEFAULT keeps whole subjects.
    expect(subjectOf('CN=Legacy Reporting, OU=payments')).toBeUndefined();
    expect(subjectOf('Ledger')).toBeUndefined();
    // A full subject the first rule would shorten cannot be reached.
    expect(subjectOf('CN=ledger,OU=services,O=Example Corp')).toBeUndefined();
    const shortening = parseMappingRules('RULE:^CN=([a-zA-Z0-9.-]*),.*$/$1/L,DEFAULT')!;
    expect(renderDistinguishedName(subjectForPrincipal(shortening, 'billing')!)).toBe('CN=billing,OU=kafka-drill');
  });

  it("reads the rules from the snapshot's broker configs", () => {
    expect(snapshotMappingRules(mtlsSnapshot())).toEqual({
      config: 'ssl.principal.mapping.rules',
      rules: 'RULE:^CN=([a-zA-Z0-9.-]*),OU=services,O=Example Corp$/$1/L,DEFAULT',
      path: ['clusterConfigs', 'clusterDefault', 'ssl.principal.mapping.rules', 'value'],
    });
    const withoutRules = mtlsSnapshot();
    withoutRules.clusterConfigs.clusterDefault = {};
    expect(snapshotMappingRules(withoutRules)).toBeUndefined();
  });
});

describe('drillAdminNames', () => {
  it("names the environment admin as SCRAM user, by Kafka's DEFAULT rule, and as the cluster's own rules map its certificate", () => {
    expect(drillAdminNames()).toEqual(['kafka-drill-admin', 'CN=kafka-drill-admin,OU=kafka-drill', 'CN=kafka-drill-admin']);
    expect(drillAdminNames('RULE:^CN=([^,]+),OU=kafka-drill$/$1/U,DEFAULT')).toEqual([
      'kafka-drill-admin',
      'CN=kafka-drill-admin,OU=kafka-drill',
      'CN=kafka-drill-admin',
      'KAFKA-DRILL-ADMIN',
    ]);
    // Rules JavaScript cannot run add nothing (validate refuses them for mtls drills).
    expect(drillAdminNames('RULE:^(?<x)$/$1/')).toEqual(drillAdminNames());
  });
});

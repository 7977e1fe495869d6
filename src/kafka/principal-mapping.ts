import vm from 'node:vm';
import { parseDistinguishedName, renderDistinguishedName, type Rdn } from './distinguished-name.js';
import { ADMIN_USER } from '../model/enums.js';
import { InputError } from '../errors.js';

/**
 * Kafka's `ssl.principal.mapping.rules` (SslPrincipalMapper): a TLS client's principal name is
 * its certificate subject (RFC 2253, as Java renders it) passed through the rules in order; the
 * first rule whose pattern matches the whole subject gives the name, DEFAULT gives the subject
 * itself, and no matching rule refuses the client. Patterns are Java regular expressions, run
 * here as JavaScript ones: a rule JavaScript cannot compile makes the rules unusable (undefined).
 *
 * The rules come from a snapshot, input from outside, and a pattern such as `^(a+)+$` backtracks
 * for ever on the wrong subject. So every exported evaluation runs under a time bound: V8
 * interrupts a regular expression when a vm script's timeout expires, which costs about 0.2 ms
 * per bounded call, so a batch (every principal of a snapshot) is one call. Past the bound it
 * throws MappingRulesTimeout, bad input.
 */
export type MappingRule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; letterCase?: 'L' | 'U' };

const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;

export const DEFAULT_MAPPING_RULES = 'DEFAULT';

/** The longest one bounded evaluation of a snapshot's rules may run: far above any sane pattern's microseconds. */
export const MAPPING_RULES_BOUND_MS = 2000;

/** A snapshot's mapping rules ran past MAPPING_RULES_BOUND_MS: a pattern that backtracks catastrophically. */
export class MappingRulesTimeout extends InputError {
  constructor() {
    super(
      `a pattern of ssl.principal.mapping.rules ran for more than ${MAPPING_RULES_BOUND_MS / 1000} s on the drill's certificate subjects (it backtracks catastrophically): refused`,
    );
    this.name = 'MappingRulesTimeout';
  }
}

let boundContext: vm.Context | undefined;
const boundScript = new vm.Script('compute()');

function bounded<T>(compute: () => T): T {
  boundContext ??= vm.createContext({});
  boundContext.compute = compute;
  try {
    return boundScript.runInContext(boundContext, { timeout: MAPPING_RULES_BOUND_MS }) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new MappingRulesTimeout();
    throw error;
  } finally {
    boundContext.compute = undefined;
  }
}

export function parseMappingRules(text: string): MappingRule[] | undefined {
  return bounded(() => parseRules(text));
}

function parseRules(text: string): MappingRule[] | undefined {
  const rules: MappingRule[] = [];
  const splitter = new RegExp(String.raw`\s*(${RULE_PATTERN})\s*(,\s*|$)`, 'g');
  const trimmed = text.trim();
  for (let match = splitter.exec(trimmed); match; match = splitter.exec(trimmed)) {
    if (match[0] === '') {
      splitter.lastIndex++;
      if (splitter.lastIndex > trimmed.length) break;
      continue;
    }
    const rule = match[1]!;
    const parsed = new RegExp(`^(?:${RULE_PATTERN})$`).exec(rule);
    if (!parsed) return undefined;
    if (parsed[1]) rules.push({ kind: 'default' });
    else if (parsed[2] !== undefined) {
      try {
        rules.push({
          kind: 'rule',
          pattern: new RegExp(parsed[2]),
          replacement: javaReplacement(parsed[4] ?? ''),
          ...(parsed[6] === 'L' || parsed[6] === 'U' ? { letterCase: parsed[6] } : {}),
        });
      } catch {
        return undefined;
      }
    } else if (rule.trim() !== '') return undefined;
  }
  return rules;
}

/** Java's replacement syntax (`\x` is a literal x, `$n` a group) in JavaScript's (`$$` is a literal $). */
function javaReplacement(replacement: string): string {
  let result = '';
  for (let index = 0; index < replacement.length; index++) {
    const char = replacement[index]!;
    if (char === '\\' && index + 1 < replacement.length) {
      const next = replacement[++index]!;
      result += next === '$' ? '$$' : next;
    } else result += char;
  }
  return result;
}

/** The principal name (without "User:") Kafka gives a certificate subject, or undefined when no rule applies. */
export function principalNameOf(rules: readonly MappingRule[], subject: string): string | undefined {
  return bounded(() => nameOf(rules, subject));
}

function nameOf(rules: readonly MappingRule[], subject: string): string | undefined {
  for (const rule of rules) {
    if (rule.kind === 'default') return subject;
    const whole = new RegExp(`^(?:${rule.pattern.source})$`, rule.pattern.flags);
    if (!whole.test(subject)) continue;
    const mapped = subject.replace(new RegExp(rule.pattern.source, 'g'), rule.replacement);
    return rule.letterCase === 'L' ? mapped.toLowerCase() : rule.letterCase === 'U' ? mapped.toUpperCase() : mapped;
  }
  return undefined;
}

/**
 * A certificate subject that the rules map to `name`, or undefined when none of the candidates
 * does: the name itself read as a subject, then `CN=<name>` with and without an OU and O.
 * Every candidate is checked forward through the rules, so a subject is only returned when
 * Kafka will give its holder exactly this principal.
 */
export function subjectForPrincipal(rules: readonly MappingRule[], name: string): Rdn[] | undefined {
  return bounded(() => subjectFor(rules, name));
}

/** subjectForPrincipal for each name, in one bounded call: how validate proves the rules finish on every principal a drill may need. */
export function subjectsForPrincipals(rules: readonly MappingRule[], names: readonly string[]): (Rdn[] | undefined)[] {
  return bounded(() => names.map((name) => subjectFor(rules, name)));
}

function subjectFor(rules: readonly MappingRule[], name: string): Rdn[] | undefined {
  const candidates: Rdn[][] = [];
  const asSubject = parseDistinguishedName(name);
  if (asSubject) candidates.push(asSubject);
  candidates.push(
    [{ type: 'CN', value: name }],
    [
      { type: 'CN', value: name },
      { type: 'OU', value: 'kafka-drill' },
    ],
    [
      { type: 'CN', value: name },
      { type: 'OU', value: 'kafka-drill' },
      { type: 'O', value: 'kafka-drill' },
    ],
  );
  for (const rule of rules) {
    const sample = rule.kind === 'rule' ? ruleSample(rule, name) : undefined;
    const subject = sample === undefined ? undefined : parseDistinguishedName(sample);
    if (subject) candidates.push(subject);
  }
  return candidates.find((subject) => nameOf(rules, renderDistinguishedName(subject)) === name);
}

/**
 * A subject a simple rule would map to `name`: its pattern with the one group the replacement
 * names filled with the name and any `.*` filled with an OU (`^CN=([a-z.-]*),OU=svc,O=Corp$/$1/`
 * → `CN=name,OU=svc,O=Corp`). Undefined for anything else; callers check the result forward.
 */
function ruleSample(rule: Extract<MappingRule, { kind: 'rule' }>, name: string): string | undefined {
  if (!/^\$1$/.test(rule.replacement)) return undefined;
  const group = /\((?!\?)(?:[^()\\]|\\.)*\)/;
  let text = rule.pattern.source.replace(/^\^/, '').replace(/\$$/, '');
  if (!group.test(text)) return undefined;
  text = text
    .replace(group, '\u0000')
    .replace(/\.[*+]\??/g, 'OU=kafka-drill')
    .replace(/\\([.,=-])/g, '$1');
  return /[[\](){}|*+?^$\\]/.test(text) ? undefined : text.replace('\u0000', () => name);
}

const ADMIN_SUBJECTS: Rdn[][] = [
  [
    { type: 'CN', value: ADMIN_USER },
    { type: 'OU', value: 'kafka-drill' },
  ],
  [{ type: 'CN', value: ADMIN_USER }],
];

/** The subject the drill gives its admin's certificate: the first the rules map to a principal. */
export function adminSubjectFor(rules: MappingRule[]): Rdn[] | undefined {
  return ADMIN_SUBJECTS.find((subject) => principalNameOf(rules, renderDistinguishedName(subject)) !== undefined);
}

/**
 * Every principal name a kafka-drill environment's admin can carry: its SCRAM user, and each
 * subject its certificate may have, as Kafka's DEFAULT rule names it and as `rulesText` (the
 * cluster's own rules, when known) maps it.
 */
export function drillAdminNames(rulesText?: string): string[] {
  const ruleSets = [parseMappingRules(DEFAULT_MAPPING_RULES), rulesText === undefined ? undefined : parseMappingRules(rulesText)];
  const names = new Set<string>([ADMIN_USER]);
  for (const rules of ruleSets) {
    if (!rules) continue;
    for (const subject of ADMIN_SUBJECTS) {
      const name = principalNameOf(rules, renderDistinguishedName(subject));
      if (name !== undefined) names.add(name);
    }
  }
  return [...names];
}

/**
 * Why the source's `ssl.principal.mapping.rules` cannot drive an mtls drill, or undefined: rules
 * kafka-drill cannot parse (not Kafka's syntax, or a pattern JavaScript cannot run), or rules that
 * map none of the subjects the drill can give its admin. Checked when a drill is validated, too.
 */
export function mappingRulesProblem(rulesText: string): string | undefined {
  const rules = parseMappingRules(rulesText);
  if (!rules) return `ssl.principal.mapping.rules "${rulesText}" cannot be parsed (or a pattern is not a regular expression kafka-drill can run)`;
  if (!adminSubjectFor(rules)) return `ssl.principal.mapping.rules "${rulesText}" map no certificate subject kafka-drill can give its admin`;
  return undefined;
}

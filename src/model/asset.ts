/**
 * What a finding, check, assumption or manual step is about, as far as ownership goes: the kinds
 * a drill spec's `owners:` section maps to teams. `name` is absent when the thing is about the
 * kind as a whole (e.g. "every topic config was accepted"); then the kind's default team owns it.
 */
export const assetKinds = ['topic', 'group', 'principal', 'connector', 'broker', 'security'] as const;
export type AssetKind = (typeof assetKinds)[number];

export interface Asset {
  kind: AssetKind;
  /** A topic, group or connector name, or a principal as "User:<name>". Only kinds with patterns have one. */
  name?: string;
}

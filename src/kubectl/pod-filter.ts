// `kubectl kerno doctor --pod NS/NAME`: of a node's report, the findings that name that pod. Findings carry
// no structured pod field: the cgroup rules put "NS/NAME" (rules/lib/cgroup.ts podLabel) in their title and
// evidence when the daemon could name the pod, and the cgroup path, which holds the pod's UID
// (…/pod<uid>/… with cgroupfs, …-pod<uid_with_underscores>.slice with systemd), in their subject either
// way. A finding matches on either.

import { buildTimeline } from '../doctor/timeline.js';
import type { Finding, Report } from '../doctor/types.js';

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A predicate over a finding's text: names `pod` as a whole word (not "NS/NAME-2"), or holds its UID. */
export function namesPod(pod: PodRef): (f: Finding) => boolean {
  // Names are DNS labels/subdomains: a match must not continue into a longer name on either side.
  const label = new RegExp(`(?:^|[^a-z0-9.-])${escape(`${pod.namespace}/${pod.name}`)}(?:$|[^a-z0-9.-])`);
  const uids =
    pod.uid !== undefined && pod.uid !== ''
      ? [pod.uid.toLowerCase(), pod.uid.toLowerCase().replace(/-/g, '_')]
      : [];
  return (f) => {
    const texts = [f.title, f.subject, f.cause, f.impact, ...f.evidence, ...f.fix];
    return texts.some((t) => label.test(t) || uids.some((u) => t.toLowerCase().includes(u)));
  };
}

/** The report with only the findings that name `pod`; summary and timeline follow. */
export function reportForPod(report: Report, pod: PodRef): Report {
  const findings = report.findings.filter(namesPod(pod));
  const summary = { ...report.summary, critical: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity] += 1;
  const { timeline: all, ...rest } = report;
  const timeline = all ? buildTimeline(findings, Date.parse(report.windowStart)) : undefined;
  return timeline ? { ...rest, findings, summary, timeline } : { ...rest, findings, summary };
}

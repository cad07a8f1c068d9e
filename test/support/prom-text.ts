// The Prometheus exposition text parsed by a library (parse-prometheus-text-format, untyped):
// metric families by name, each sample's labels and value.
import parse from 'parse-prometheus-text-format';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}

export function parseMetrics(text: string): Map<string, { type: string; samples: Sample[] }> {
  const families = (parse as (t: string) => Family[])(text);
  return new Map(
    families.map((f) => [
      f.name,
      {
        type: f.type,
        samples: f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value ?? m.count ?? Number.NaN) })),
      },
    ]),
  );
}

/** The value of `name` with exactly these labels (among others); undefined if absent. */
export function sampleOf(
  metrics: ReturnType<typeof parseMetrics>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  return metrics.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

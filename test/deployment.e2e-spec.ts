import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { AppConfig } from '@bulk-export/config';

/**
 * Dockerfile, docker-compose.yml and the kustomize overlays stay consistent with the code:
 * every service exists, every environment variable is a setting the code reads, every command
 * points at a built file, ports agree with HTTP_PORT, probes and autoscalers are there, and no
 * secret is in the repo. Runs after `npm run build` (the commands must exist in dist/).
 */
const ROOT = resolve(__dirname, '..');
// Fields with an initialiser show up on an instance; the others only in the source.
const SETTINGS = new Set([
  ...Object.keys(new AppConfig()),
  ...[
    ...readFileSync(join(ROOT, 'libs/config/src/app-config.ts'), 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+)[?]?:/gm),
  ].map((m) => m[1]),
]);
const SECRET_SETTINGS = ['DATABASE_URL', 'CREDENTIALS_KEKS'];
const OUR_SERVICES = ['request-api', 'scheduler', 'extractor', 'uploader'];
const PORTS: Record<string, number> = { 'request-api': 3000, scheduler: 3001, extractor: 3002, uploader: 3003 };
/** A key-encryption key as CREDENTIALS_KEKS holds one: `id:` and 32 bytes in base64. */
const KEK = /[A-Za-z0-9_-]+:[A-Za-z0-9+/]{43}=/;
// Rendering installs kustomize with `go install` on a new machine: about two minutes here.
const KUSTOMIZE_TIMEOUT_MS = 540_000;

type ComposeService = {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  healthcheck?: { test: string[] };
};
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Container = {
  name: string;
  image: string;
  command: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  resources: { limits: { memory: string } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: { sizeLimit?: string } }[];
};
type Resource = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    replicas?: number;
    maxReplicas?: number;
    template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec };
    scaleTargetRef: { kind: string; name: string };
    ports: { port: number; targetPort: string | number }[];
    accessModes: string[];
  };
  data?: Record<string, string>;
};

/** Bytes of a DuckDB size (`512MB`, `1GB`) or a Kubernetes quantity (`1Gi`, `1536Mi`). */
function bytes(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?)$/i.exec(size);
  if (!match) throw new Error(`unknown size ${size}`);
  const unit = match[2].toUpperCase().replace(/B$/, '');
  const power = { K: 1, M: 2, G: 3 }[unit[0] as 'K' | 'M' | 'G'];
  return Number(match[1]) * (unit.endsWith('I') ? 1024 : 1000) ** power;
}

function render(overlay: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('bash', [join(ROOT, 'scripts/kustomize.sh'), join(ROOT, 'k8s/overlays', overlay)], {
    encoding: 'utf8',
    timeout: KUSTOMIZE_TIMEOUT_MS,
  });
}

describe('deployment files', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  it('knows the settings (sanity check of the parser)', () => {
    for (const name of [
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'CREDENTIALS_KEKS',
      'HTTP_PORT',
      'STAGING_DIR',
      'GCS_API_ENDPOINT',
      'LOG_LEVEL',
    ])
      expect(SETTINGS.has(name)).toBe(true);
  });

  it('the Dockerfile builds one Debian-based image, runs as non-root and checks /health/live on HTTP_PORT', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThan(1);
    // The image runs the Node.js the tests run: the major of the `node` package in package.json.
    const tested = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    ).devDependencies.node;
    const major = /^\^?(\d+)\./.exec(tested)?.[1];
    for (const image of stages) expect(image).toBe(`node:${major}-bookworm-slim`);
    expect(process.versions.node.split('.')[0]).toBe(major);
    expect(dockerfile).toMatch(/^USER\s+(?!root\b)\S+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK[\s\S]*process\.env\.HTTP_PORT[\s\S]*\/health\/live/m);
    const cmd = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(cmd).toEqual(['node', 'dist/apps/request-api/src/main.js']);
    const env = new Map<string, string>();
    for (const [, line] of dockerfile.matchAll(/^ENV\s+(.*)$/gm))
      for (const [, variable, value] of line.matchAll(/([A-Z][A-Z0-9_]*)=(\S*)/g)) env.set(variable, value);
    // Every variable is one of ours, or read by Node.js (NODE_ENV, NODE_OPTIONS) or glibc's malloc (MALLOC_*).
    for (const variable of env.keys())
      if (!['NODE_ENV', 'NODE_OPTIONS'].includes(variable) && !variable.startsWith('MALLOC_'))
        expect(`${variable} ${SETTINGS.has(variable)}`).toBe(`${variable} true`);
    // V8's settings are the ones the local scripts give the services.
    const nodeOptions = (text: string, pattern: RegExp) => pattern.exec(text)?.[1];
    const lib = readFileSync(join(ROOT, 'scripts/lib.sh'), 'utf8');
    expect(nodeOptions(dockerfile, /^ENV NODE_OPTIONS="([^"]+)"$/m)).toBe(
      nodeOptions(lib, /^export NODE_OPTIONS="\$\{NODE_OPTIONS:-([^}]+)\}"$/m),
    );
    expect(nodeOptions(lib, /^export NODE_OPTIONS="\$\{NODE_OPTIONS:-([^}]+)\}"$/m)).toMatch(
      /--max-semi-space-size=16/,
    );
    // The malloc settings are the ones the local scripts give the services.
    const local = [
      ...readFileSync(join(ROOT, 'scripts/lib.sh'), 'utf8').matchAll(/^export (MALLOC_\w+)="\$\{\1:-(\S+)\}"$/gm),
    ].map(([, variable, value]) => [variable, value]);
    expect(local.length).toBeGreaterThan(0);
    expect([...env].filter(([variable]) => variable.startsWith('MALLOC_'))).toEqual(local);
  });

  it('docker-compose.yml has the whole stack and only real settings', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['extractor', 'fake-gcs', 'kafka', 'migrate', 'postgres', 'request-api', 'scheduler', 'uploader'].sort(),
    );
    for (const name of [...OUR_SERVICES, 'migrate']) {
      const service = compose.services[name];
      for (const variable of Object.keys(service.environment ?? {}))
        expect(`${name}: ${variable} ${SETTINGS.has(variable)}`).toBe(`${name}: ${variable} true`);
      const entry = (service.command ?? []).find((c) => c.startsWith('dist/'));
      expect(`${name}: ${entry}`).toMatch(/: dist\//);
      expect(existsSync(join(ROOT, entry as string))).toBe(true);
      expect(service.image).toBe(compose.services['request-api'].image);
    }
    for (const name of OUR_SERVICES) {
      const service = compose.services[name];
      expect(service.command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
      expect(Number(service.environment?.HTTP_PORT)).toBe(PORTS[name]);
      expect(service.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(service.depends_on?.kafka?.condition).toBe('service_healthy');
      // The services reach Kafka through the listener it advertises to the other containers.
      expect(String(compose.services.kafka.environment?.KAFKA_ADVERTISED_LISTENERS).split(',')).toContain(
        `PLAINTEXT://${service.environment?.KAFKA_BROKERS}`,
      );
    }
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency]).toBeDefined();
        if (condition === 'service_healthy')
          expect(`${dependency} healthcheck ${Boolean(compose.services[dependency].healthcheck)}`).toBe(
            `${dependency} healthcheck true`,
          );
        expect(`${name} → ${dependency}: ${condition}`).toMatch(
          /: (service_healthy|service_completed_successfully|service_started)$/,
        );
      }
    }
    expect(compose.services['request-api'].ports).toEqual([
      `${PORTS['request-api']}:${compose.services['request-api'].environment?.HTTP_PORT}`,
    ]);
    // Extractor and uploader share one named volume, mounted where STAGING_DIR points.
    const staging = compose.services.extractor.volumes;
    expect(staging).toEqual(compose.services.uploader.volumes);
    expect(staging?.map((v) => v.split(':')[1])).toContain(compose.services.extractor.environment?.STAGING_DIR);
    expect(compose.services.extractor.environment?.STAGING_DIR).toBe(
      compose.services.uploader.environment?.STAGING_DIR,
    );
    expect(compose.services.migrate.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it.each(['dev', 'prod'])(
    'kustomize renders the %s overlay with probes, autoscalers, a PDB, the migration Job and no secret',
    (overlay) => {
      const rendered = render(overlay);
      expect(rendered.stderr.replace(/installing kustomize.*\n?/, '')).toBe('');
      expect(rendered.status).toBe(0);
      const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Resource);
      const names = (kind: string) =>
        docs
          .filter((d) => d.kind === kind)
          .map((d) => d.metadata.name)
          .sort();
      const byName = (kind: string, name: string) =>
        docs.find((d) => d.kind === kind && d.metadata.name === name) as Resource;
      expect(names('Deployment')).toEqual([...OUR_SERVICES].sort());
      expect(names('HorizontalPodAutoscaler')).toEqual(['extractor', 'uploader']);
      expect(names('PodDisruptionBudget').length).toBeGreaterThan(0);
      expect(names('Job')).toEqual(['bulk-export-migrate']);
      expect(names('Secret')).toEqual([]);
      expect(rendered.stdout).not.toMatch(KEK);
      expect(rendered.stdout).not.toMatch(/CREDENTIALS_KEKS:\s*\S+:/);

      const config = docs.find((d) => d.kind === 'ConfigMap') as Resource;
      for (const key of Object.keys(config.data ?? {})) expect(`${key} ${SETTINGS.has(key)}`).toBe(`${key} true`);
      for (const key of SECRET_SETTINGS) expect(config.data?.[key]).toBeUndefined();
      const checkEnv = (env: EnvVar[]) => {
        for (const variable of env) {
          expect(`${variable.name} ${SETTINGS.has(variable.name)}`).toBe(`${variable.name} true`);
          if (SECRET_SETTINGS.includes(variable.name)) {
            expect(variable.value).toBeUndefined();
            expect(variable.valueFrom?.secretKeyRef).toEqual({ name: 'bulk-export-secrets', key: variable.name });
          }
        }
      };

      const images = new Set<string>();
      for (const deployment of docs.filter((d) => d.kind === 'Deployment')) {
        const name = deployment.metadata.name;
        const pod = deployment.spec.template.spec;
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.containers).toHaveLength(1);
        const [container] = pod.containers;
        images.add(container.image);
        expect(container.command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
        expect(existsSync(join(ROOT, container.command[1]))).toBe(true);
        expect(container.livenessProbe?.httpGet.path).toBe('/health/live');
        expect(container.readinessProbe?.httpGet.path).toBe('/health/ready');
        expect(container.resources.limits.memory).toBeDefined();
        checkEnv(container.env ?? []);
        // One port everywhere: HTTP_PORT, the container port, the probes, the scrape annotation, the Service.
        const port = Number(container.env?.find((e) => e.name === 'HTTP_PORT')?.value);
        expect(port).toBe(PORTS[name]);
        const http = container.ports?.find((p) => p.containerPort === port);
        expect(http).toBeDefined();
        for (const probe of [container.livenessProbe, container.readinessProbe])
          expect([http?.name, port]).toContain(probe?.httpGet.port);
        expect(deployment.spec.template.metadata?.annotations?.['prometheus.io/port']).toBe(String(port));
        const service = byName('Service', name);
        if (service) expect([http?.name, port]).toContain(service.spec.ports[0].targetPort);
      }
      expect(byName('Service', 'request-api')).toBeDefined();
      // One image for every service and the Job; production pins a tag.
      const job = byName('Job', 'bulk-export-migrate');
      const [migrate] = job.spec.template.spec.containers;
      images.add(migrate.image);
      expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(existsSync(join(ROOT, migrate.command[1]))).toBe(true);
      checkEnv(migrate.env ?? []);
      expect(images.size).toBe(1);
      if (overlay === 'prod') expect([...images][0]).not.toMatch(/:latest$|^[^:]+$/);

      // The autoscalers own the extractor and uploader counts; DuckDB stays under the memory limit;
      // each pod's STAGING_DIR is its own emptyDir, and staged windows travel through a bucket.
      for (const name of ['extractor', 'uploader']) {
        const deployment = byName('Deployment', name);
        expect(byName('HorizontalPodAutoscaler', name).spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
        expect(deployment.spec.replicas).toBeUndefined();
        const pod = deployment.spec.template.spec;
        const [container] = pod.containers;
        const duckdbLimit =
          container.env?.find((e) => e.name === 'DUCKDB_MEMORY_LIMIT')?.value ?? config.data?.DUCKDB_MEMORY_LIMIT;
        expect(bytes(duckdbLimit as string)).toBeLessThan(bytes(container.resources.limits.memory));
        const mount = container.volumeMounts?.find((m) => m.mountPath === config.data?.STAGING_DIR);
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.emptyDir).toBeDefined();
        expect(volume?.persistentVolumeClaim).toBeUndefined();
      }
      // Every replica the autoscalers may start gets a partition of the topics it consumes.
      const partitions = Number(config.data?.INTERNAL_TOPIC_PARTITIONS ?? new AppConfig().INTERNAL_TOPIC_PARTITIONS);
      for (const name of ['extractor', 'uploader']) {
        const maxReplicas = byName('HorizontalPodAutoscaler', name).spec.maxReplicas as number;
        expect({ name, partitions, enough: partitions >= maxReplicas }).toEqual({ name, partitions, enough: true });
      }
      expect(String(config.data?.STAGING_URI)).toMatch(/^gs:\/\/[a-z0-9][a-z0-9._-]+[a-z0-9]\//);
      expect(docs.filter((d) => d.kind === 'PersistentVolumeClaim')).toEqual([]);
    },
    KUSTOMIZE_TIMEOUT_MS + 60_000,
  );
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * docker-compose.yml and the kustomize overlays stay consistent with the code: every
 * service exists, every environment variable is a setting the code reads, every command
 * points at a built file, probes and autoscalers are there, and no secret is in the repo.
 */
const ROOT = resolve(__dirname, '..');
const SETTINGS = new Set(
  [...readFileSync(join(ROOT, 'libs/config/src/app-config.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+)[?]?:/gm)].map((m) => m[1]),
);
const OUR_SERVICES = ['request-api', 'scheduler', 'extractor', 'uploader'];
const PORTS: Record<string, number> = { 'request-api': 3000, scheduler: 3001, extractor: 3002, uploader: 3003 };

type ComposeService = { command?: string[]; environment?: Record<string, string | number>; ports?: string[]; depends_on?: Record<string, { condition: string }>; volumes?: string[] };

describe('deployment files', () => {
  it('knows the settings (sanity check of the parser)', () => {
    for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'CREDENTIALS_KEKS', 'HTTP_PORT', 'STAGING_DIR']) expect(SETTINGS.has(name)).toBe(true);
  });

  it('docker-compose.yml has the whole stack and only real settings', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
    expect(Object.keys(compose.services).sort()).toEqual(['extractor', 'fake-gcs', 'kafka', 'migrate', 'postgres', 'request-api', 'scheduler', 'uploader'].sort());
    for (const name of [...OUR_SERVICES, 'migrate']) {
      const service = compose.services[name];
      for (const variable of Object.keys(service.environment ?? {})) expect(`${name}: ${variable} ${SETTINGS.has(variable)}`).toBe(`${name}: ${variable} true`);
      const entry = (service.command ?? []).find((c) => c.startsWith('dist/')) as string;
      expect(existsSync(join(ROOT, entry))).toBe(true);
    }
    for (const name of OUR_SERVICES) {
      const service = compose.services[name];
      expect(service.command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
      expect(Number(service.environment?.HTTP_PORT)).toBe(PORTS[name]);
      expect(service.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(service.depends_on?.kafka?.condition).toBe('service_healthy');
    }
    expect(compose.services['request-api'].ports).toEqual(['3000:3000']);
    expect(compose.services.extractor.volumes).toEqual(compose.services.uploader.volumes);
    expect(compose.services.migrate.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it.each(['dev', 'prod'])('kustomize renders the %s overlay with probes, autoscalers, a PDB, the migration Job and no secret', (overlay) => {
    const rendered = spawnSync('bash', [join(ROOT, 'scripts/kustomize.sh'), join(ROOT, 'k8s/overlays', overlay)], { encoding: 'utf8', timeout: 300_000 });
    expect(rendered.stderr.replace(/installing kustomize.*\n?/, '')).toBe('');
    expect(rendered.status).toBe(0);
    const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, any>; data?: Record<string, string> });
    const names = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => d.metadata.name).sort();
    expect(names('Deployment')).toEqual([...OUR_SERVICES].sort());
    expect(names('HorizontalPodAutoscaler')).toEqual(['extractor', 'uploader']);
    expect(names('PodDisruptionBudget').length).toBeGreaterThan(0);
    expect(names('Job')).toEqual(['bulk-export-migrate']);
    expect(names('Secret')).toEqual([]);
    for (const deployment of docs.filter((d) => d.kind === 'Deployment')) {
      const [container] = deployment.spec.template.spec.containers;
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.resources.limits.memory).toBeDefined();
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      for (const env of container.env) {
        expect(SETTINGS.has(env.name)).toBe(true);
        if (['DATABASE_URL', 'CREDENTIALS_KEKS'].includes(env.name)) expect(env.valueFrom.secretKeyRef.name).toBe('bulk-export-secrets');
      }
    }
    const config = docs.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> };
    for (const key of Object.keys(config.data)) expect(SETTINGS.has(key)).toBe(true);
    expect(rendered.stdout).not.toMatch(/CREDENTIALS_KEKS:\s*\S+:/);
  });
});

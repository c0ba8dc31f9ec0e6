// deploy/check/check-manifests.mjs: checks the Kubernetes manifests
// offline, without a cluster.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   node check-manifests.mjs [DIR]      (default ../kubernetes)
//   node check-manifests.mjs --self-test [DIR]
//
// 1. Every YAML document parses (YAML 1.1, as Kubernetes reads it).
// 2. Schema: each object against the JSON Schema of its kind
//    (kubernetes-models, generated from the Kubernetes OpenAPI schema):
//    types, required fields, enums.
// 3. Field names: each object as a TypeScript object literal of its kind
//    (kubernetes-types, Kubernetes 1.30): a misspelt or unknown field is
//    an error there, which the JSON Schema lets through.
// 4. What the deployment needs: the grace period above the preStop wait
//    plus --drain-timeout; the probes on /ready and /live at the port of
//    --health-port; --instance from the pod name; --registry naming a
//    Redis Service of the manifests; --credentials inside the mounted
//    Secret, which the example Secret matches; the template writing to a
//    shared volume; the PodDisruptionBudget's, the Service's and the
//    Deployment's selectors matching the pod labels; the security context;
//    resources; the kustomization listing every manifest but the example.
// --self-test breaks the manifests in memory, one way at a time, and
// checks that each is caught.
// Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed".

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---- loading

function loadDir(dir) {
  const docs = [];
  const errors = [];
  for (const name of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    YAML.parseAllDocuments(text, { version: '1.1' }).forEach((doc, index) => {
      if (doc.errors.length) {
        errors.push(`${name}: document ${index + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
        return;
      }
      const obj = doc.toJS({ maxAliasCount: 0 });
      if (obj !== null && obj !== undefined) docs.push({ file: name, index, obj });
    });
  }
  return { docs, errors };
}

const where = (d) => `${d.file}: ${d.obj.kind}/${d.obj.metadata?.name ?? '?'}`;
const isKustomization = (o) => o.kind === 'Kustomization';

// ---- 2. JSON Schema (kubernetes-models)

async function schemaErrors(docs) {
  const errors = [];
  for (const d of docs) {
    const { apiVersion, kind } = d.obj;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      errors.push(`${d.file}: document ${d.index + 1}: no apiVersion or kind`);
      continue;
    }
    if (isKustomization(d.obj)) continue;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    let Model;
    try {
      const mod = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
      Model = mod[kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      errors.push(`${where(d)}: no schema for ${apiVersion} ${kind}`);
      continue;
    }
    try {
      new Model(d.obj).validate();
    } catch (e) {
      errors.push(`${where(d)}: ${e.message}`);
    }
  }
  return errors;
}

// ---- 3. field names (TypeScript + kubernetes-types)

function typeModule(apiVersion) {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const version = apiVersion.split('/').pop();
  return `kubernetes-types/${group ? group.split('.')[0] : 'core'}/${version}`;
}

function fieldErrors(docs) {
  const file = path.join(here, '__manifests__.ts');
  const objects = docs.filter((d) => !isKustomization(d.obj));
  // one object per line: a diagnostic's line says which
  const source = objects
    .map((d, i) => `export const m${i}: import(${JSON.stringify(typeModule(d.obj.apiVersion))}).${d.obj.kind} = ${JSON.stringify(d.obj)};`)
    .join('\n');
  const options = { noEmit: true, strict: true, types: [], skipLibCheck: true,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2020 };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const text = ts.flattenDiagnosticMessageText(diag.messageText, ' ');
    if (!diag.file || diag.file.fileName !== file) return text;
    const { line } = diag.file.getLineAndCharacterOfPosition(diag.start);
    return `${where(objects[line])}: ${text}`;
  });
}

// ---- 4. what the deployment needs

// "--a=b", "--a b" and "-- TEMPLATE..." -> { options: Map, template }
function parseArgs(args) {
  const options = new Map();
  let template = null;
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    if (a === '--') {
      template = args.slice(i + 1).join(' ');
      break;
    }
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < args.length && !String(args[i + 1]).startsWith('--')) options.set(a.slice(2), String(args[++i]));
    else options.set(a.slice(2), true);
  }
  return { options, template };
}

const matches = (selector, labels) =>
  !!selector && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

// the seconds a preStop hook waits: sleep action or exec sleep N
function preStopSeconds(c) {
  const h = c.lifecycle?.preStop;
  if (!h) return 0;
  if (h.sleep) return Number(h.sleep.seconds) || 0;
  const cmd = h.exec?.command ?? [];
  if (cmd.length === 2 && /(^|\/)sleep$/.test(cmd[0])) return Number(cmd[1]) || 0;
  return null; // something else: unknown
}

function deploymentErrors(docs, dir) {
  const errors = [];
  const fail = (msg) => errors.push(msg);
  const objs = docs.map((d) => d.obj);
  const deployment = objs.find((o) => o.kind === 'Deployment' &&
    o.spec?.template?.spec?.containers?.some((c) => (c.args ?? []).some((a) => String(a).startsWith('--health-port'))));
  if (!deployment) {
    fail('no Deployment runs gst-genesys-serve (a container with --health-port)');
    return errors;
  }
  const pod = deployment.spec.template;
  const podSpec = pod.spec;
  const container = podSpec.containers.find((c) => (c.args ?? []).some((a) => String(a).startsWith('--health-port')));
  const name = `Deployment/${deployment.metadata?.name}`;
  const { options, template } = parseArgs(container.args ?? []);
  const ports = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
  const portNumber = (p) => (typeof p === 'number' ? p : ports.get(p));
  const env = new Map((container.env ?? []).map((e) => [e.name, e]));
  const mounts = container.volumeMounts ?? [];
  const volumes = new Map((podSpec.volumes ?? []).map((v) => [v.name, v]));
  const mountOf = (file) => mounts.find((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));

  // the server's options
  const port = Number(options.get('port') ?? 9000);
  const health = Number(options.get('health-port'));
  if (!Number.isInteger(health) || health <= 0) fail(`${name}: --health-port is not a port number`);
  if (![...ports.values()].includes(port)) fail(`${name}: no containerPort for --port ${port}`);
  if (![...ports.values()].includes(health)) fail(`${name}: no containerPort for --health-port ${health}`);
  if (options.get('log-format') !== 'json') fail(`${name}: --log-format is not json`);
  if (!template) fail(`${name}: no launch template after --`);

  // grace period > preStop + drain
  const drain = Number(options.get('drain-timeout') ?? 60);
  const grace = podSpec.terminationGracePeriodSeconds ?? 30;
  const wait = preStopSeconds(container);
  if (wait === null) fail(`${name}: the preStop hook is neither a sleep action nor exec sleep N`);
  else if (wait < 1) fail(`${name}: no preStop wait before SIGTERM (endpoints would still send sessions to a draining pod)`);
  else if (!(grace > wait + drain)) fail(`${name}: terminationGracePeriodSeconds ${grace} is not above the preStop wait ${wait} s + --drain-timeout ${drain} s`);

  // probes
  const probe = (kind, want) => {
    const p = container[kind];
    if (!p?.httpGet) return fail(`${name}: no ${kind} with httpGet`);
    if (p.httpGet.path !== want) fail(`${name}: ${kind} path ${p.httpGet.path}, not ${want}`);
    if (portNumber(p.httpGet.port) !== health) fail(`${name}: ${kind} port ${p.httpGet.port} is not --health-port ${health}`);
  };
  probe('readinessProbe', '/ready');
  probe('livenessProbe', '/live');

  // --instance from the pod name
  const instance = String(options.get('instance') ?? '');
  const ref = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(instance);
  if (!ref) fail(`${name}: --instance is not $(VAR) from the downward API`);
  else if (env.get(ref[1])?.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') fail(`${name}: --instance $(${ref[1]}) is not the pod name (fieldRef metadata.name)`);

  // --registry names a Redis Service of the manifests
  const registry = /^redis:\/\/([^:/]+)(?::(\d+))?(?:\/\d+)?$/.exec(String(options.get('registry') ?? ''));
  if (!registry) fail(`${name}: --registry is not redis://HOST[:PORT][/DB]`);
  else {
    const host = registry[1].split('.')[0];
    const rport = Number(registry[2] ?? 6379);
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata?.name === host);
    if (svc && !svc.spec.ports.some((p) => p.port === rport)) fail(`${name}: Service ${host} has no port ${rport} (--registry)`);
    if (svc) {
      const backend = objs.find((o) => o.kind === 'Deployment' && matches(svc.spec.selector, o.spec?.template?.metadata?.labels));
      if (!backend) fail(`Service/${host}: selects no Deployment of the manifests`);
    }
  }

  // --credentials inside the mounted Secret
  const creds = String(options.get('credentials') ?? '');
  const credMount = creds && mountOf(creds);
  const credVolume = credMount && volumes.get(credMount.name);
  if (!credVolume?.secret) fail(`${name}: --credentials ${creds || '(none)'} is not in a mounted Secret`);
  else {
    if (!credMount.readOnly) fail(`${name}: the credentials are not mounted readOnly`);
    if (credMount.subPath) fail(`${name}: the credentials are mounted with subPath (a changed Secret would not reach the file)`);
    const example = objs.find((o) => o.kind === 'Secret' && o.metadata?.name === credVolume.secret.secretName);
    const key = creds.slice(credMount.mountPath.replace(/\/$/, '').length + 1);
    if (!example) fail(`${name}: no Secret ${credVolume.secret.secretName} (not even an example)`);
    else {
      const data = example.stringData?.[key] ??
        (example.data?.[key] !== undefined ? Buffer.from(example.data[key], 'base64').toString() : undefined);
      let parsed;
      try {
        parsed = JSON.parse(data);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.keys(parsed).length ||
          !Object.values(parsed).every((v) => typeof v === 'string')) {
        fail(`Secret/${example.metadata.name}: ${key} is not a JSON object of API keys to secrets`);
      }
    }
  }

  // --relay-key inside the mounted Secret, --relay-url the pod's own IP
  const relayKey = options.get('relay-key');
  if (relayKey !== undefined) {
    const keyMount = mountOf(String(relayKey));
    const keyVolume = keyMount && volumes.get(keyMount.name);
    if (!keyVolume?.secret) fail(`${name}: --relay-key ${relayKey} is not in a mounted Secret`);
    else {
      const example = objs.find((o) => o.kind === 'Secret' && o.metadata?.name === keyVolume.secret.secretName);
      const key = String(relayKey).slice(keyMount.mountPath.replace(/\/$/, '').length + 1);
      const data = example?.stringData?.[key] ??
        (example?.data?.[key] !== undefined ? Buffer.from(example.data[key], 'base64').toString() : undefined);
      if (!/^[^:\s]+:[A-Za-z0-9+/]+={0,2}\s*$/.test(data ?? '')) fail(`Secret/${keyVolume.secret.secretName}: ${key} is not KEY-ID:SECRET (--relay-key)`);
    }
    const url = /^wss?:\/\/\$\((\w+)\):(\d+)\//.exec(String(options.get('relay-url') ?? ''));
    if (!url) fail(`${name}: --relay-url is not ws://$(POD_IP):PORT/... (the default, the pod name, does not resolve)`);
    else {
      if (env.get(url[1])?.valueFrom?.fieldRef?.fieldPath !== 'status.podIP') fail(`${name}: --relay-url $(${url[1]}) is not the pod IP (fieldRef status.podIP)`);
      if (Number(url[2]) !== Number(options.get('port'))) fail(`${name}: --relay-url port ${url[2]} is not --port`);
    }
  }

  // the template writes to a shared volume
  const location = /location=(\S+)/.exec(template ?? '');
  const outMount = location && mountOf(location[1]);
  const outVolume = outMount && volumes.get(outMount.name);
  if (!outVolume?.persistentVolumeClaim) fail(`${name}: the template's location is not on a mounted PersistentVolumeClaim`);
  else {
    const claim = objs.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata?.name === outVolume.persistentVolumeClaim.claimName);
    if (!claim) fail(`${name}: no PersistentVolumeClaim ${outVolume.persistentVolumeClaim.claimName}`);
    else if ((deployment.spec.replicas ?? 1) > 1 && !(claim.spec.accessModes ?? []).includes('ReadWriteMany')) fail(`PersistentVolumeClaim/${claim.metadata.name}: not ReadWriteMany, yet ${deployment.spec.replicas} pods write to it`);
  }
  if (!/\{segment\}/.test(template ?? '') || !/\{start-position\}/.test(template ?? '') || !/\{session-id\}/.test(template ?? '')) fail(`${name}: the template's file name lacks {session-id}, {segment} or {start-position}`);

  // selectors
  const labels = pod.metadata?.labels;
  if (!matches(deployment.spec.selector?.matchLabels, labels)) fail(`${name}: its selector does not match its pod labels`);
  const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
  if (!pdbs.length) fail('no PodDisruptionBudget');
  for (const pdb of pdbs) {
    if (!matches(pdb.spec?.selector?.matchLabels, labels)) fail(`PodDisruptionBudget/${pdb.metadata?.name}: its selector does not match the pod labels of ${name}`);
  }
  const services = objs.filter((o) => o.kind === 'Service' && matches(o.spec?.selector, labels));
  if (!services.length) fail(`no Service selects the pods of ${name}`);
  for (const svc of services) {
    if (!svc.spec.ports.some((p) => portNumber(p.targetPort ?? p.port) === port)) fail(`Service/${svc.metadata.name}: no port to --port ${port}`);
    if (svc.spec.sessionAffinity && svc.spec.sessionAffinity !== 'None') fail(`Service/${svc.metadata.name}: sessionAffinity ${svc.spec.sessionAffinity}`);
  }

  // security and resources
  const sc = { ...podSpec.securityContext, ...container.securityContext };
  if (sc.runAsNonRoot !== true) fail(`${name}: runAsNonRoot is not true`);
  if (container.securityContext?.readOnlyRootFilesystem !== true) fail(`${name}: readOnlyRootFilesystem is not true`);
  if (container.securityContext?.allowPrivilegeEscalation !== false) fail(`${name}: allowPrivilegeEscalation is not false`);
  if (!(container.securityContext?.capabilities?.drop ?? []).includes('ALL')) fail(`${name}: capabilities do not drop ALL`);
  if (!container.resources?.requests?.cpu || !container.resources?.requests?.memory || !container.resources?.limits?.memory) fail(`${name}: resources lack cpu/memory requests or a memory limit`);

  // the kustomization
  const kustomization = docs.find((d) => isKustomization(d.obj));
  if (kustomization) {
    const listed = new Set(kustomization.obj.resources ?? []);
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== kustomization.file && !/\.example\.ya?ml$/.test(f));
    for (const f of files) if (!listed.has(f)) fail(`${kustomization.file}: ${f} is not listed`);
    for (const f of listed) if (!files.includes(f)) fail(`${kustomization.file}: ${f} is listed but is not a manifest here`);
  }
  return errors;
}

// ---- running

async function check(dir, docs, parseErrors) {
  return [
    ['every document parses as YAML', parseErrors],
    ['every object is valid against its Kubernetes JSON Schema (kubernetes-models)', await schemaErrors(docs)],
    ['no unknown field (TypeScript, kubernetes-types)', fieldErrors(docs)],
    ['the deployment: grace period, probes, options, selectors, security', deploymentErrors(docs, dir)],
  ];
}

// each breaks the manifests one way; the message must say so
const breakages = [
  ['grace period not above preStop + drain', 'terminationGracePeriodSeconds', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') o.spec.template.spec.terminationGracePeriodSeconds = 64;
  }],
  ['readinessProbe on /health', 'readinessProbe path', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') o.spec.template.spec.containers[0].readinessProbe.httpGet.path = '/health';
  }],
  ['livenessProbe on the AudioHook port', 'livenessProbe port', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') o.spec.template.spec.containers[0].livenessProbe.httpGet.port = 'audiohook';
  }],
  ['PDB selector off the pod labels', 'PodDisruptionBudget/', (o) => {
    if (o.kind === 'PodDisruptionBudget') o.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'gst-genesys' };
  }],
  ['a misspelt field', `'"readinessprobe"' does not exist`, (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') {
      const c = o.spec.template.spec.containers[0];
      c.readinessprobe = c.readinessProbe;
      delete c.readinessProbe;
    }
  }],
  ['a port as a string', 'must be integer', (o) => {
    if (o.kind === 'Service' && o.metadata.name === 'gst-genesys-serve') o.spec.ports[0].port = '9000';
  }],
  ['capabilities kept', 'drop ALL', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') delete o.spec.template.spec.containers[0].securityContext.capabilities;
  }],
  ['--relay-url on the pod name', '--relay-url', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') {
      const c = o.spec.template.spec.containers[0];
      c.args = c.args.map((a) => (String(a).startsWith('--relay-url') ? '--relay-url=ws://$(POD_NAME):9000/api/v1/audiohook/ws' : a));
    }
  }],
  ['--instance not from the pod name', '--instance', (o) => {
    if (o.kind === 'Deployment' && o.metadata.name === 'gst-genesys-serve') {
      const c = o.spec.template.spec.containers[0];
      c.args = c.args.map((a) => (String(a).startsWith('--instance') ? '--instance=serve' : a));
    }
  }],
];

async function main() {
  const argv = process.argv.slice(2);
  const selfTest = argv[0] === '--self-test';
  if (selfTest) argv.shift();
  const dir = path.resolve(argv[0] ?? path.join(here, '..', 'kubernetes'));
  const { docs, errors: parseErrors } = loadDir(dir);
  let passed = 0;
  let failed = 0;
  const result = (ok, what, details = []) => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
    for (const d of details) console.log(`    ${d}`);
  };
  console.log(`# ${docs.length} objects in ${dir}: ${docs.map((d) => `${d.obj.kind}/${d.obj.metadata?.name ?? '-'}`).join(', ')}`);
  if (!selfTest) {
    for (const [what, errors] of await check(dir, docs, parseErrors)) result(errors.length === 0, what, errors);
  } else {
    for (const [what, expect, mutate] of breakages) {
      const broken = docs.map((d) => ({ ...d, obj: structuredClone(d.obj) }));
      broken.forEach((d) => mutate(d.obj));
      const errors = (await check(dir, broken, parseErrors)).flatMap(([, e]) => e);
      const hit = errors.find((e) => e.includes(expect));
      result(Boolean(hit), `caught: ${what}`, hit ? [hit] : errors.length ? errors : ['no error at all']);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();

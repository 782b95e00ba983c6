import { DEFINITIONS } from '../core/api/kinds/index.ts';
for (const d of DEFINITIONS) {
  if (d.storedAs) continue;
  for (const extra of [{}, { spec: {} }, {spec: {template: {}}}, {spec: {template: {spec: {}}}}, {spec: {jobTemplate: {}}}, {spec: {jobTemplate: {spec: {}}}}, {spec: {jobTemplate: {spec: {template: {}}}}}]) {
    const o: any = { apiVersion: d.resource.apiVersion, kind: d.resource.kind, metadata: { name: 'x', ...(d.resource.namespaced ? { namespace: 'default' } : {}) }, ...extra };
    let step = 'defaults';
    try {
      let x = d.defaults(o);
      step = 'admit'; x = d.admit(x);
      step = 'prepare'; x = d.prepareForCreate(x);
      step = 'validate'; const errs = d.validate(x);
      if (errs.length) continue; step = 'validateUpdate'; d.update.validateUpdate(d.update.prepareForUpdate(x, x), x);
      step = 'fields'; d.fields(x);
      step = 'table'; for (const c of d.table) c.cell(x, 0);
    } catch (e) { console.log(d.resource.kind, JSON.stringify(extra), step, (e as Error).message); }
  }
}

/**
 * The Go text/template subset scheduler_perf's templates need: each row is a template, an
 * environment and what Go's text/template prints for it (worked out from text/template's
 * documented semantics), or the error ksim gives for what it does not support.
 */
import { describe, expect, it } from 'vitest';
import {
  GoTemplateError,
  hasTemplateActions,
  parseGoTemplate,
} from '../../../sim/scheduler-perf/go-template.ts';

const render = (src: string, env: Record<string, unknown> = {}): string =>
  parseGoTemplate(src, 'object').render(env);

describe('rendering', () => {
  it.each([
    ['name: pod-{{.Index}}', { Index: 7 }, 'name: pod-7'],
    ['{{.Index}}/{{.Count}}', { Index: 0, Count: 3 }, '0/3'],
    ['{{ .a.b }}', { a: { b: 'x' } }, 'x'],
    ['{{.missing}}', {}, '<no value>'],
    ['{{ $.Index }}', { Index: 4 }, '4'],
    ['{{ div .Index 10 }}', { Index: 37 }, '3'],
    ['{{DivideInt .Index .podsPerGroup}}', { Index: 9, podsPerGroup: 2 }, '4'],
    ['{{ AddInt 0 .priority }}', { priority: 1000 }, '1000'],
    ['{{ SubtractInt 5 7 }} {{ MultiplyInt 6 7 }}', {}, '-2 42'],
    ['{{ Mod .Index 3 }} {{ MaxInt 2 9 }} {{ MinInt 2 9 }}', { Index: 10 }, '1 9 2'],
    ['{{ DivideInt -7 2 }}', {}, '-3'],
    ['{{ .Index | AddInt 100 }}', { Index: 1 }, '101'],
    ['{{ AddInt (MultiplyInt .Index 2) 1 }}', { Index: 5 }, '11'],
    ['{{if .priority}}{{.priority}}{{else}}1000{{end}}', { priority: 5 }, '5'],
    ['{{if .priority}}{{.priority}}{{else}}1000{{end}}', {}, '1000'],
    ['{{if .m}}y{{else}}n{{end}}', { m: '' }, 'n'],
    ['{{if eq .mode "single"}}single{{else}}all{{end}}', { mode: 'single' }, 'single'],
    ['{{if eq .mode "single"}}single{{else}}all{{end}}', { mode: 'all' }, 'all'],
    ['{{if eq .n 1 2 3}}in{{end}}', { n: 3 }, 'in'],
    ['{{if eq .a 1}}a{{else if eq .a 2}}b{{else}}c{{end}}', { a: 2 }, 'b'],
    ['{{if eq .a 1}}a{{else if eq .a 2}}b{{else}}c{{end}}', { a: 9 }, 'c'],
    ['{{if and .a .b}}both{{end}}{{if or .a .c}}either{{end}}', { a: 1, b: 1, c: 0 }, 'botheither'],
    ['{{ and 1 0 2 }} {{ or 0 "" "x" }} {{ not 0 }}', {}, '0 x true'],
    ['{{if lt .i 5}}small{{end}}{{if ge .i 5}}big{{end}}', { i: 5 }, 'big'],
    ['{{if ne .s "x"}}other{{end}}', { s: 'y' }, 'other'],
    ['{{ len .list }} {{ len "abc" }}', { list: [1, 2] }, '2 3'],
    ['{{with .user}}hi {{.name}}{{else}}nobody{{end}}', { user: { name: 'a' } }, 'hi a'],
    ['{{with .user}}hi{{else}}nobody{{end}}', {}, 'nobody'],
    ['{{ print 1 2 "a" 3 }}', {}, '1 2a3'],
    ['{{ printf "%s-%d%%" .n .i }}', { n: 'pod', i: 3 }, 'pod-3%'],
    ['{{ 1.5 }} {{ true }} {{ nil }} {{ `raw` }} {{ "q\\"s" }}', {}, '1.5 true <nil> raw q"s'],
    ['a  {{- .x -}}  b', { x: 1 }, 'a1b'],
    ['a {{/* a comment */}}b', {}, 'a b'],
    ['{{ .list }} {{ .m }}', { list: [1, 'a'], m: { b: 2, a: 1 } }, '[1 a] map[a:1 b:2]'],
  ] as const)('%s with %j -> %j', (src, env, want) => {
    expect(render(src, env)).toBe(want);
  });

  it('renders upstream gang-pod.yaml with and without a disruption mode', () => {
    const src = `spec:
  priority: {{if .priority}}{{AddInt 0 .priority}}{{else}}1000{{end}}
  {{if .disruptionMode}}
  schedulingGroup:
    podGroupName: gang-{{DivideInt .Index .podsPerGroup}}
  {{end}}
  cpu: {{if .cpuRequest}}{{.cpuRequest}}{{else}}50m{{end}}
`;
    expect(
      render(src, { Index: 5, podsPerGroup: 2, priority: 7, disruptionMode: 'all' }),
    ).toContain('podGroupName: gang-2');
    const plain = render(src, { Index: 5, podsPerGroup: 2, disruptionMode: '' });
    expect(plain).not.toContain('schedulingGroup');
    expect(plain).toContain('priority: 1000');
    expect(plain).toContain('cpu: 50m');
  });
});

describe('errors', () => {
  it.each([
    ['{{ range .x }}{{ end }}', 'object:1: {{range}} is not supported by ksim'],
    ['{{ $x := 1 }}', 'variables ($x := ...) are not supported by ksim'],
    ['line\n{{ sprig .x }}', 'template: object:2: function "sprig" not defined'],
    ['{{ if .x }}open', 'unexpected EOF'],
    ['{{ end }}', 'unexpected {{end}}'],
    ['{{ .x ', 'unclosed action'],
    ['{{ .x 1 }}', "can't give argument to non-function"],
    ['{{ (AddInt 1 2 }}', 'unclosed left paren'],
  ])('%j is refused at parse time: %s', (src, message) => {
    expect(() => parseGoTemplate(src, 'object')).toThrow(GoTemplateError);
    expect(() => parseGoTemplate(src, 'object')).toThrow(message);
  });

  it.each([
    ['{{ DivideInt 1 0 }}', {}, 'error calling DivideInt: integer divide by zero'],
    ['{{ AddInt .s 1 }}', { s: 'x' }, 'error calling AddInt: argument 1 is x, not an integer'],
    ['{{ AddInt 1 }}', {}, 'wrong number of args for AddInt: want 2 got 1'],
    ['{{ eq .s 1 }}', { s: 'x' }, 'incompatible types for comparison'],
    ['{{ .a.b }}', {}, 'nil pointer evaluating .b'],
  ])('%j with %j fails when executed: %s', (src, env, message) => {
    const t = parseGoTemplate(src, 'object');
    expect(() => t.render(env)).toThrow(message);
  });

  it('tells plain YAML from a template', () => {
    expect(hasTemplateActions('kind: Pod\n')).toBe(false);
    expect(hasTemplateActions('name: a-{{.Index}}')).toBe(true);
  });
});

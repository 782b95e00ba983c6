import { describe, expect, it } from 'vitest';
import { parseNodeCsv, parsePodCsv, TraceCsvError } from '../../../sim/replay/alibaba-csv.ts';

const NODE_HEADER = 'sn,cpu_milli,memory_mib,gpu,model';
const POD_HEADER =
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof TraceCsvError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a TraceCsvError');
}

describe('the node list', () => {
  it('reads nodes with and without GPUs', () => {
    const nodes = parseNodeCsv(
      [
        NODE_HEADER,
        'openb-node-0000,32000,262144,0,',
        'openb-node-0001,96000,786432,8,V100M32',
      ].join('\n'),
      'n.csv',
    );
    expect(nodes).toEqual([
      { name: 'openb-node-0000', cpuMilli: 32000, memoryMiB: 262144, gpus: 0, model: '' },
      { name: 'openb-node-0001', cpuMilli: 96000, memoryMiB: 786432, gpus: 8, model: 'V100M32' },
    ]);
  });

  it('names the file, line and column of every bad row', () => {
    const text = [
      NODE_HEADER,
      'a,32000,262144,0,',
      'b,lots,262144,0,',
      'c,32000,262144,2,',
      'a,32000,262144,0,',
      'd,32000,262144',
      'E_bad,1,1,0,',
    ].join('\n');
    expect(problems(() => parseNodeCsv(text, 'nodes.csv'))).toEqual([
      'nodes.csv:3: cpu_milli: expected a whole number from 1 to 10000000, got "lots"',
      'nodes.csv:4: model: a node with 2 GPUs needs its GPU model',
      'nodes.csv:5: sn: node a is listed twice (also line 2)',
      'nodes.csv:6: expected 5 columns (sn,cpu_milli,memory_mib,gpu,model), got 3',
      'nodes.csv:7: sn: "E_bad" is not a valid node name',
    ]);
  });

  it('says which header columns are missing', () => {
    expect(problems(() => parseNodeCsv('sn,cpu,memory_mib\nx,1,1', 'n.csv'))).toEqual([
      'n.csv:1: header: missing columns cpu_milli, gpu, model (has sn, cpu, memory_mib)',
    ]);
  });
});

describe('the pod list', () => {
  it('reads whole-GPU, sharing and CPU tasks, gpu_spec deduplicated', () => {
    const pods = parsePodCsv(
      [
        POD_HEADER,
        'openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0',
        'openb-pod-0001,6000,12288,1,460,V100M32|V100M32|T4,BE,Pending,427061,427100,',
        'openb-pod-0002,8000,30517,0,0,,BE,Running,5,9,5',
      ].join('\n'),
      'p.csv',
    );
    expect(
      pods.map((p) => [p.name, p.numGpu, p.gpuMilli, p.gpuSpec, p.creationS, p.deletionS]),
    ).toEqual([
      ['openb-pod-0000', 1, 1000, [], 0, 12537496],
      ['openb-pod-0001', 1, 460, ['V100M32', 'T4'], 427061, 427100],
      ['openb-pod-0002', 0, 0, [], 5, 9],
    ]);
  });

  it('reads a file without times (multigpu50 has only the resource columns)', () => {
    const pods = parsePodCsv(
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,1,1,8,1000',
      'm.csv',
    );
    expect(pods[0]).toMatchObject({ numGpu: 8, gpuMilli: 1000, qos: '', line: 2 });
    expect(pods[0]?.creationS).toBeUndefined();
  });

  it('refuses GPU shapes outside the trace model and times that run backwards', () => {
    const text = [
      POD_HEADER,
      'p0,1000,1,0,500,,BE,Running,0,1,0',
      'p1,1000,1,2,500,,BE,Running,0,1,0',
      'p2,1000,1,1,0,,BE,Running,0,1,0',
      'p3,1000,1,1,1001,,BE,Running,0,1,0',
      'p4,1000,1,1,1000,,BE,Running,10,4,0',
      'p5,1000,1,1,1000,,BE,Running,x,4,0',
    ].join('\n');
    expect(problems(() => parsePodCsv(text, 'pods.csv'))).toEqual([
      'pods.csv:2: gpu_milli: a task without GPUs (num_gpu 0) asks for 500 thousandths of one',
      'pods.csv:3: gpu_milli: a task with 2 GPUs takes them whole (1000), got 500 of each',
      'pods.csv:4: gpu_milli: a task with 1 GPUs asks for 0 thousandths of them',
      'pods.csv:5: gpu_milli: expected a whole number from 0 to 1000, got "1001"',
      'pods.csv:6: deletion_time: 4 is before the creation_time 10',
      'pods.csv:7: creation_time: expected a whole number from 0 to 9007199254740991, got "x"',
    ]);
  });

  it('stops listing after 20 problems', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `p${i},-1,1,0,0,,BE,Running,0,1,0`);
    const found = problems(() => parsePodCsv([POD_HEADER, ...rows].join('\n'), 'p.csv'));
    expect(found).toHaveLength(21);
    expect(found[20]).toBe('... and 10 more');
  });
});

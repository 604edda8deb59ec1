/**
 * fast-check arbitraries of fuzz inputs, shared by the seeded tests (test/fuzz) and the long runner:
 * a seed from the corpus with a few mutations applied; for the CLI, also argv built from the commands'
 * own flags (read from the commander program, so new flags are fuzzed without listing them here).
 */
import fc from 'fast-check';
import { buildProgram } from '../../src/cli/main.js';
import { createContext } from '../../src/cli/context.js';
import { applyMutations, INTERESTING_32, INTERESTING_BYTES, type Format, type Mutation } from './mutate.js';

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

export function mutationArbitrary(format: Format): fc.Arbitrary<Mutation> {
  const binary: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fraction, value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }),
    fc.record({ kind: fc.constant('set32' as const), at: fraction, value: fc.constantFrom(...INTERESTING_32) }),
    fc.record({ kind: fc.constant('varint' as const), at: fraction, length: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fraction, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fraction, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fraction, length: fc.integer({ min: 1, max: 256 }), to: fraction }),
    fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
    fc.record({ kind: fc.constant('splice' as const), at: fraction, other: fc.nat(), from: fraction, length: fc.integer({ min: 1, max: 512 }) }),
  ];
  if (format === 'json') return fc.oneof({ arbitrary: fc.record({ kind: fc.constant('json' as const), path: fraction, value: fraction }), weight: 6 }, ...binary.map((arbitrary) => ({ arbitrary, weight: 1 })));
  if (format === 'lines') return fc.oneof({ arbitrary: fc.record({ kind: fc.constant('lines' as const), at: fraction, op: fraction, value: fraction }), weight: 6 }, ...binary.map((arbitrary) => ({ arbitrary, weight: 1 })));
  return fc.oneof(...binary);
}

/** A corpus seed with 1..maxMutations mutations (and, now and then, none: the seed itself). */
export function mutantArbitrary(seeds: readonly Uint8Array[], format: Format, maxMutations = 6): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('no seeds');
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutationArbitrary(format), { minLength: 0, maxLength: maxMutations }))
    .map(([i, muts]) => applyMutations(seeds[i]!, muts, seeds));
}

/** Values the CLI fuzzer gives to flags and arguments: every path stays inside the sandbox. */
export const CLI_VALUES = [
  'm.onnx', 'dyn.onnx', 'ext.onnx', 'ext.onnx.data', 'link.onnx', 'zero.onnx', 'fifo.onnx', 'empty.onnx', 'a-file.txt', 'dir', 'calib', 'feed.npy', 'split/split.json', 'int8/m.qdq.onnx',
  'translated/m.qdq_noqdq.onnx', 'out', 'out/x.onnx', 'out/', '.', '..', '../x', 'm.onnx.data', 'missing.onnx', 'calib/s0.npy', 'split', 'int8', 'split/backbone.onnx',
  '', ' ', '0', '1', '-1', '2', '8.6.1', '10.3.0', '9.0.0', '99999999999999999999', '1e308', 'NaN', 'x', 'batch=2', 'batch=0', 'batch=1000000000', 'nope=3', '=', 'a,b', ',',
  'orin-dla', 'xavier-dla', 'gpu', 'max', 'entropy', 'percentile,mse', 'int8', 'fp16', 'x=feed.npy', 'x=missing.npy', 'y=feed.npy', 'x=zero.onnx', 'a\u0000b', 'x\x1b[31m', '8x8', '0x0', '30000x30000',
  'backbone', 'head-Conv_2_out', 'nchw', 'cover', '--json', '-o', '--out', '--help',
];

/** Every command's name with its flags (long form) and whether each takes a value, from the program itself. */
export function cliGrammar(): { command: string; flags: { flag: string; takesValue: boolean }[] }[] {
  const io = { stdout: { write: () => true }, stderr: { write: () => true } };
  const program = buildProgram(createContext(io), io);
  return program.commands
    .filter((c) => c.name() !== 'demo')
    .map((c) => ({ command: c.name(), flags: c.options.map((o) => ({ flag: o.long ?? o.short ?? '', takesValue: o.required || o.optional })).filter((f) => f.flag !== '') }));
}

/** argv from the grammar: a command, 0-2 arguments, a few of its flags with values from CLI_VALUES. */
export function argvArbitrary(): fc.Arbitrary<string[]> {
  const grammar = cliGrammar();
  const value = fc.constantFrom(...CLI_VALUES);
  return fc.constantFrom(...grammar).chain(({ command, flags }) =>
    fc
      .tuple(
        fc.array(value, { minLength: 0, maxLength: 2 }),
        flags.length === 0 ? fc.constant([]) : fc.array(fc.tuple(fc.constantFrom(...flags), value), { maxLength: 5 }),
        fc.boolean(),
      )
      .map(([args, chosen, outFirst]) => {
        const rest = chosen.flatMap(([f, v]) => (f.takesValue ? [f.flag, v] : [f.flag]));
        return outFirst ? [command, ...rest, ...args] : [command, ...args, ...rest];
      }),
  );
}

/** CLI inputs: mutated seed invocations and argv from the grammar, as JSON bytes. */
export function cliArbitrary(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const enc = new TextEncoder();
  return fc.oneof(
    argvArbitrary().map((argv) => enc.encode(JSON.stringify(argv))),
    fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(fc.record({ kind: fc.constant('json' as const), path: fraction, value: fraction }), { minLength: 0, maxLength: 3 })).map(([i, muts]) => applyMutations(seeds[i]!, muts)),
  );
}

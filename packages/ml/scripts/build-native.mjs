// Builds native/build/blas.node (OpenBLAS GEMM for the wasm backend's matrix products and convolutions,
// pooling, bias and relu kernels, fused optimizer updates) when this machine can: a C compiler, Node's
// headers and Debian's libopenblas0. It is optional: without it training runs on wasm alone and this
// script says why, then exits 0.
// `npm test` installs libopenblas0-pthread.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sources = ['blas.c', 'optim.c', 'conv.c', 'pool.c', 'elementwise.c'].map((file) =>
  resolve(here, '../native', file),
);
const output = resolve(here, '../native/build/blas.node');

const skip = (why) => {
  rmSync(output, { force: true });
  console.log(`@trainhub/ml: native BLAS not built (${why}); dense layers use wasm SIMD only`);
  process.exit(0);
};

if (process.env.TRAINHUB_ML_BLAS === '0') skip('TRAINHUB_ML_BLAS=0');
// Node's headers: next to this node binary (official tarballs), where npm builds addons against, or Debian's.
const includeDir = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
  resolve(dirname(process.execPath), '../include/node'),
  '/usr/include/node',
].find((dir) => dir && existsSync(join(dir, 'node_api.h')));
if (!includeDir) skip("Node's headers (node_api.h) not found");
const compiler = ['cc', 'gcc', 'clang'].find((cc) => spawnSync(cc, ['--version']).status === 0);
if (!compiler) skip('no C compiler');
const library = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].find(
  (dir) => existsSync(join(dir, 'libopenblas.so.0')),
);
if (!library) skip('libopenblas.so.0 not found: apt-get install libopenblas0-pthread');

mkdirSync(dirname(output), { recursive: true });
const compile = (extra) =>
  spawnSync(
    compiler,
    [
      ...extra,
      '-O3',
      // optim.c reproduces TensorFlow.js's float32 arithmetic bit for bit: no fused multiply-add, no
      // -ffast-math (-fno-math-errno only lets sqrtf vectorize; it changes no result).
      '-ffp-contract=off',
      '-fno-math-errno',
      '-shared',
      '-fPIC',
      '-Wall',
      '-Wno-unknown-pragmas', // the OpenMP pragmas of a build without OpenMP
      `-I${includeDir}`,
      ...sources,
      '-o',
      output,
      `-L${library}`,
      '-l:libopenblas.so.0',
    ],
    { encoding: 'utf8' },
  );
// The AVX2 clones of the element-wise loops need ifunc support (glibc); without it, one generic build.
// OpenMP (libgomp, which comes with gcc) runs the convolutions' chunks on several threads; without it they
// run one after another.
let result;
let openmp = false;
for (const flags of [['-fopenmp'], [], ['-fopenmp', '-DTRAINHUB_NO_CLONES'], ['-DTRAINHUB_NO_CLONES']]) {
  result = compile(flags);
  openmp = flags.includes('-fopenmp');
  if (result.status === 0) break;
}
if (result.status !== 0) skip(`${compiler} failed: ${(result.stderr || result.error?.message || '').trim()}`);
console.log(
  `@trainhub/ml: built native/build/blas.node (OpenBLAS from ${library}${openmp ? ', OpenMP' : ', no OpenMP'})`,
);

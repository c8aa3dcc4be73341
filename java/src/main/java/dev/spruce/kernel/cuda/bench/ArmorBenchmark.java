package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.ArmorKernels;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceArmor;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

/**
 * The ARMOR row of gpu-check: the benchmark's dense weights magnitude-pruned to 2:4 (bf16 core, as
 * {@link Sp24Benchmark}) between random block-diagonal wrappers A and B (f32 blocks of bs = the largest power of
 * two up to 128 dividing M and K), run as block-diagonal kernel -> {@code mma.sp} kernel -> block-diagonal kernel
 * with bias ({@link ArmorKernels}), f32 activations in, f32 out. Its time next to sp24-bf16 is the wrappers' cost.
 * Verified against a float64 A (S (B x)) + bias chain on the host for a sample of tokens (a dense A·S·B would cost
 * M·K·2bs operations at LLaMA sizes). Registered through META-INF/services.
 */
public final class ArmorBenchmark implements GpuBenchmark {

    @Override
    public String name() {
        return "armor-bf16";
    }

    @Override
    public String unavailableReason() {
        return Cuda.available() ? null : "CUDA is not available: " + Cuda.unavailableReason();
    }

    /** Largest power of two up to 128 dividing both sizes. */
    static int blockSize(int m, int k) {
        int bs = 128;
        while (bs > 1 && (m % bs != 0 || k % bs != 0)) {
            bs /= 2;
        }
        return bs;
    }

    private static BlockDiagonal randomBlocks(int n, int bs, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n * bs];
        double scale = 1 / Math.sqrt(bs);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return BlockDiagonal.of(n, bs, a);
    }

    @Override
    public Layer prepare(BenchWeights weights) {
        int m = weights.rows(), k = weights.cols();
        int bs = blockSize(m, k);
        float[] w = weights.hostF32().toFloatArray();
        Sp24Benchmark.prune24(w, m, k);
        float[] bias = new float[m];
        SplittableRandom rnd = new SplittableRandom(17);
        for (int i = 0; i < m; i++) {
            bias[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        ArmorLayout layout;
        try (Matrix dense = Matrix.of(w, m, k, DType.BF16)) {
            BlockDiagonal a = randomBlocks(m, bs, 3);
            BlockDiagonal b = randomBlocks(k, bs, 5);
            Sparse24 core = Sparse24.pack(dense, DType.BF16);
            layout = ArmorLayout.of(a, core, b, bias);
        }
        DeviceArmor d;
        try {
            d = DeviceArmor.upload(layout);
        } catch (RuntimeException e) {
            layout.close();
            throw e;
        }
        final ArmorLayout host = layout;
        long wBytes = host.byteSize();
        return new Layer() {
            @Override
            public Run batch(BenchInputs inputs) {
                int n = inputs.tokens();
                DeviceMatrix x = inputs.device();
                DeviceMatrix y = DeviceMatrix.allocate(n, m, DType.F32);
                DeviceMatrix u = DeviceMatrix.allocate(n, k, DType.BF16);
                DeviceMatrix v = DeviceMatrix.allocate(n, m, DType.F32);
                return new Run() {
                    @Override
                    public void poisonOutput() {
                        y.poison();
                    }

                    @Override
                    public void launch() {
                        ArmorKernels.armor(d, x, y, u, v);
                    }

                    @Override
                    public double verify() {
                        try (Matrix out = y.toMatrix()) {
                            return chainError(host, inputs.host(), out);
                        }
                    }

                    @Override
                    public double tolerance() {
                        return 1e-2; // U = B X is rounded to bf16 for the tensor cores
                    }

                    @Override
                    public long ioBytes() {
                        return (long) n * ((long) k * 4 + m * 4L);
                    }

                    @Override
                    public void close() {
                        y.close();
                        u.close();
                        v.close();
                    }
                };
            }

            @Override
            public long weightBytes() {
                return wBytes;
            }

            @Override
            public void close() {
                d.close();
                host.close();
            }
        };
    }

    /** Relative L2 error of y against float64 A (S (B x)) + bias over up to 6 tokens (first, last, spread); NaN-checked. */
    static double chainError(ArmorLayout l, Matrix x, Matrix y) {
        int n = x.rows(), m = l.rows(), k = l.cols();
        float[] all = y.toFloatArray();
        for (float f : all) {
            if (!Float.isFinite(f)) {
                return Double.POSITIVE_INFINITY;
            }
        }
        float[] a = l.a().toArray();
        float[] b = l.b().toArray();
        float[] bias = l.bias();
        int ba = l.a().blockSize(), bb = l.b().blockSize();
        Sparse24 s = l.core();
        double num = 0, den = 0;
        int samples = Math.min(n, 6);
        for (int i = 0; i < samples; i++) {
            int t = samples == 1 ? 0 : (int) ((long) i * (n - 1) / (samples - 1));
            float[] xr = x.row(t);
            double[] u = new double[k];
            for (int r = 0; r < k; r++) {
                int blk = r / bb;
                for (int c = 0; c < bb; c++) {
                    u[r] += (double) b[blk * bb * bb + (r % bb) * bb + c] * xr[blk * bb + c];
                }
            }
            double[] v = new double[m];
            for (int r = 0; r < m; r++) {
                double acc = 0;
                for (int g = 0; g < k / 4; g++) {
                    int code = s.code(r, g);
                    acc += s.value(r, 2 * g) * u[4 * g + (code & 3)] + s.value(r, 2 * g + 1) * u[4 * g + (code >>> 2)];
                }
                v[r] = acc;
            }
            for (int r = 0; r < m; r++) {
                int blk = r / ba;
                double ref = bias == null ? 0 : bias[r];
                for (int c = 0; c < ba; c++) {
                    ref += a[blk * ba * ba + (r % ba) * ba + c] * v[blk * ba + c];
                }
                double diff = all[t * m + r] - ref;
                num += diff * diff;
                den += ref * ref;
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}

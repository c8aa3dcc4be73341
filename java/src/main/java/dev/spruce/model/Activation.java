package dev.spruce.model;

/** Feed-forward activations BERT exports use; the importer reads which one from the graph's operators. */
public enum Activation {
    /** 0.5 x (1 + erf(x / sqrt 2)): Hugging Face "gelu", exported as Div, Erf, Add, Mul, Mul. */
    GELU_ERF,
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): "gelu_new" / "gelu_pytorch_tanh". */
    GELU_TANH,
    RELU;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    /** Applies the activation in place to {@code x[from, to)}. */
    public void apply(float[] x, int from, int to) {
        switch (this) {
            case GELU_ERF -> Gelu.erfForm(x, from, to);
            case GELU_TANH -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    x[i] = (float) (0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
                }
            }
            case RELU -> {
                for (int i = from; i < to; i++) {
                    x[i] = Math.max(0f, x[i]);
                }
            }
        }
    }
}

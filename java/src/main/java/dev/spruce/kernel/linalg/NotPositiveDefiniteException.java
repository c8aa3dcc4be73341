package dev.spruce.kernel.linalg;

/** Thrown by {@link Cholesky} when a pivot is not positive, naming the pivot so callers can add damping and retry. */
public final class NotPositiveDefiniteException extends ArithmeticException {
    private final int pivot;

    public NotPositiveDefiniteException(int pivot, double value) {
        super("matrix is not positive definite: pivot " + pivot + " is " + value);
        this.pivot = pivot;
    }

    /** Index of the first failing pivot. */
    public int pivot() {
        return pivot;
    }
}

package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/**
 * Dense product on weights pre-packed in panels ({@link DensePanels}): output features on the vector lanes,
 * tokens broadcast, so a batch of any size runs in whole register tiles (see {@link PanelGemm}).
 */
interface PanelKernel {
    /** Output features per panel (two vectors' worth of lanes). */
    int panelRows();

    /**
     * Y columns of panels [p0, p1) for every token: y[t*m + r] = W[r, :] . x[t*k :], with {@code x} the
     * tokens (n x k, row-major, on the heap) and {@code wp} the panels of {@link DensePanels}; plus
     * {@code bias[r]} when {@code bias} (length m) is not null.
     */
    void panels(float[] wp, int m, int k, float[] x, int n, MemorySegment y, float[] bias, int p0, int p1);
}

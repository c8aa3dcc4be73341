/**
 * Calibration statistics: {@link dev.spruce.calib.LayerStats} accumulates, per linear layer, the Gram
 * matrix X<sup>T</sup>X of the layer's input activations (or only its diagonal) in float64.
 *
 * <pre>{@code
 * LayerStats stats = LayerStats.full("layers.0.attn.q_proj", 4096);
 * for (Matrix batch : activationBatches) stats.accumulate(batch);   // tokens x 4096, F32
 * }</pre>
 */
package dev.spruce.calib;

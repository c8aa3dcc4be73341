package dev.spruce.prune.armor;

/** The proxy loss ARMOR descends. Both are relative: 0 is a perfect fit, 1 is as bad as deleting the layer. */
public enum ArmorLoss {
    /**
     * The reference's loss, in NoWag's normalised space: Σ h<sub>j</sub> (Ŵn − W̄)<sub>ij</sub><sup>2</sup> / Σ h<sub>j</sub>
     * W̄<sub>ij</sub><sup>2</sup>, h the squared input norms (the diagonal of XᵀX only).
     */
    DIAGONAL("diagonal"),
    /**
     * The layer's true output error on the calibration tokens, ‖(W − Ŵ) X‖² / ‖W X‖², i.e. the full Gram matrix XᵀX
     * (what SparseGPT minimises): input correlations count, and rows are weighted by their real scale.
     */
    GRAM("gram");

    private final String id;

    ArmorLoss(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ArmorLoss parse(String s) {
        for (ArmorLoss l : values()) {
            if (l.id.equalsIgnoreCase(s == null ? "" : s.strip())) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown ARMOR loss '" + s + "' (choose diagonal or gram)");
    }
}

package dev.spruce.prune.armor;

/** Where ARMOR's sparse core starts (the wrappers always start at the identity). */
public enum ArmorStart {
    /** The reference: NoWag-P's 2:4 mask on the normalised weights, kept values unchanged. */
    NOWAG("nowag"),
    /** SparseGPT's 2:4 mask and its reconstructed values (needs the full Gram matrix). */
    SPARSEGPT("sparsegpt");

    private final String id;

    ArmorStart(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ArmorStart parse(String s) {
        for (ArmorStart v : values()) {
            if (v.id.equalsIgnoreCase(s == null ? "" : s.strip())) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown ARMOR start '" + s + "' (choose nowag or sparsegpt)");
    }
}

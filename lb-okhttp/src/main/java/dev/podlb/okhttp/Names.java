package dev.podlb.okhttp;

/** Checks of names given to builders. */
final class Names {
    private Names() {}

    static String require(String setting, String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(setting + " is " + (name == null ? "null" : "blank")
                    + "; expected a name such as X-Session-Id");
        }
        return name;
    }
}

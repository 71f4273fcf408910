// ripple's version, shown by --version and in the peer id (-RP0001- for 0.1.0).
export const VERSION = "0.1.0";

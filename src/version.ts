// ripple's version, shown by --version and in the peer id (-RP0100-).
export const VERSION = "0.1.0";

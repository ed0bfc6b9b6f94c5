package dev.tenure.lease;

/** Thrown by {@link Lease#checkValid()} when the lease is no longer held. */
public final class LeaseLostException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient FencingToken token;

    LeaseLostException(FencingToken token, String why) {
        super("lease " + token + " is no longer held: " + why);
        this.token = token;
    }

    /** The token of the lease that was lost. */
    public FencingToken token() {
        return token;
    }
}

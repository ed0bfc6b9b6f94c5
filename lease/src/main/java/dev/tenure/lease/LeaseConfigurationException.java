package dev.tenure.lease;

/** A lease configuration that cannot be safe, or a backend that cannot hold a lease; says which numbers and why. */
public final class LeaseConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    LeaseConfigurationException(String message) {
        super(message);
    }
}

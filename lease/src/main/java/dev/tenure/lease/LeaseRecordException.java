package dev.tenure.lease;

/**
 * A stored lease record that cannot be read: not JSON, another format, a missing field. Tenure
 * never overwrites such a record blindly (it cannot know the epoch to fence above); an operator
 * must look at it.
 */
public final class LeaseRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public LeaseRecordException(String key, String problem) {
        super("lease record " + key + " is corrupt: " + problem + "; Tenure will not overwrite it");
        this.key = key;
    }

    /** The key of the record. */
    public String key() {
        return key;
    }
}

package dev.tenure.sim;

import dev.tenure.lease.ProtocolMutation;
import java.util.Optional;

/** Bugs the checkers must catch: four in the protocol, one in the store. */
public enum Mutation {
    /** No safety or skew margin: drift lets two holders overlap. */
    NO_SAFETY_MARGIN(ProtocolMutation.NO_SAFETY_MARGIN),
    /** Expiry by comparing wall clocks across machines. */
    WALL_CLOCK_EXPIRY(ProtocolMutation.WALL_CLOCK_EXPIRY),
    /** Release deletes the record: epochs restart at 1. */
    DELETE_ON_RELEASE(ProtocolMutation.DELETE_ON_RELEASE),
    /** The holder keeps acting while retrying a renewal past its deadline. */
    RETRY_PAST_DEADLINE(ProtocolMutation.RETRY_PAST_DEADLINE),
    /** The store acknowledges a write before it is durable; a later crash of the store loses it. */
    ACK_BEFORE_DURABLE(null);

    private final ProtocolMutation protocol;

    Mutation(ProtocolMutation protocol) {
        this.protocol = protocol;
    }

    /** The protocol switch, when the bug lives in the protocol. */
    public Optional<ProtocolMutation> protocol() {
        return Optional.ofNullable(protocol);
    }
}

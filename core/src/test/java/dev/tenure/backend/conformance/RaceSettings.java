package dev.tenure.backend.conformance;

/**
 * How hard the conformance suite's contention tests push a backend.
 *
 * @param createThreads threads racing {@code IfAbsent} on one key per round
 * @param createRounds rounds of that race
 * @param incrementThreads threads doing read-modify-write increments with {@code IfVersion}
 * @param incrementsPerThread successful increments each of them must make
 */
public record RaceSettings(int createThreads, int createRounds, int incrementThreads, int incrementsPerThread) {

    /** 32 threads x 200 create rounds; 8 threads x 100 increments. */
    public static final RaceSettings DEFAULT = new RaceSettings(32, 200, 8, 100);
}

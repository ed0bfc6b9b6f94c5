/**
 * JMH benchmarks, each next to its baseline where one exists: compiled by every build, run by hand
 * ({@code docs/performance.md} has the command), one of them smoke-tested in the build.
 */
package dev.tenure.bench.jmh;

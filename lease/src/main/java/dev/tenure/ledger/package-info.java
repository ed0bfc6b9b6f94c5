/**
 * A fenced append-only ledger on compare-and-swap alone: immutable segment objects written with
 * {@code IfAbsent}, group commit, a bounded pipelining window, fencing by lease epoch, and readers
 * that apply the epoch rule. See {@code docs/ledger.md}.
 */
package dev.tenure.ledger;

/** The {@code tenure} command line. */
package dev.tenure.cli;

/** An in-process, atomic backend for tests, the simulator and single-process use. */
package dev.tenure.backend.memory;

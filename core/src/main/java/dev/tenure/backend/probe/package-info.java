/** Evidence about a store: does it truly enforce the conditions a backend promises? */
package dev.tenure.backend.probe;

/**
 * Utilities lb-core's packages share that know nothing of load balancing: durations, address
 * parsing, hashing, futures, thread pools, the serial context. <b>Not API</b>: public only so
 * that podlb's own packages can reach them; they may change or go in any release. Build only on
 * {@code dev.podlb.core} and its other packages.
 */
package dev.podlb.core.internal;

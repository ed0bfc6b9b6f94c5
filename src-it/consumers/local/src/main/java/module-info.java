/** A user's application, as a named module: it can reach only what Tenure exports. */
module consumer.local {
    requires dev.tenure.lease;
}
